package ledger

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Judging one department without the district.
//
// Evaluate gives seats product by product: a department's own licences
// first, then the shared pool (licences with no department), which serves
// departments in code order. So one department's statuses depend only on
// its own installs and licences and on how many seats of each pool licence
// the departments before it took, and products are independent. A report
// therefore costs the evaluation of its department plus, for the products
// it has that the pool covers, a walk over the earlier departments holding
// them, each step memoised on that department's installs version, the
// licences and the seats left when its turn came (poolMemo). The result is
// exactly what Evaluate of the whole district says of that department
// (TestDepartmentEvaluationMatchesDistrict).

// licencePlan splits licences as Evaluate uses them: each department's own
// and the pool's, by product, in allocation order (oldest purchase first).
type licencePlan struct {
	own  map[string]map[string][]License // department -> product -> licences
	pool map[string][]License            // product -> pool licences
	sig  map[string]string               // product -> signature of its pool licences at asOf
	at   time.Time
}

func newLicencePlan(ls []License, asOf time.Time) *licencePlan {
	p := &licencePlan{own: map[string]map[string][]License{}, pool: map[string][]License{}, sig: map[string]string{}, at: asOf}
	sorted := append([]License(nil), ls...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].PurchaseDate != sorted[j].PurchaseDate {
			return sorted[i].PurchaseDate < sorted[j].PurchaseDate
		}
		return sorted[i].ID < sorted[j].ID
	})
	for _, l := range sorted {
		if l.Department == "" {
			p.pool[l.Product] = append(p.pool[l.Product], l)
			continue
		}
		if p.own[l.Department] == nil {
			p.own[l.Department] = map[string][]License{}
		}
		p.own[l.Department][l.Product] = append(p.own[l.Department][l.Product], l)
	}
	for product, pl := range p.pool {
		p.sig[product] = licenceSig(pl, asOf)
	}
	return p
}

// licenceSig is what of a licence list an allocation depends on at asOf.
func licenceSig(ls []License, asOf time.Time) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.ID)
		b.WriteByte('|')
		b.WriteString(strconv.Itoa(l.Seats))
		b.WriteByte('|')
		b.WriteString(l.VersionRange)
		b.WriteByte('|')
		if l.ValidAt(asOf) {
			b.WriteByte('v')
		}
		if l.ExpiredAt(asOf) {
			b.WriteByte('x')
		}
		b.WriteByte(';')
	}
	return b.String()
}

// forDepartment is what Evaluate needs to judge dept alone: its own
// licences and the pool's with the seats the earlier departments took
// removed.
func (p *licencePlan) forDepartment(dept string, usedBefore map[string]int) []License {
	var out []License
	for _, ls := range p.own[dept] {
		out = append(out, ls...)
	}
	for _, ls := range p.pool {
		for _, l := range ls {
			l.Seats -= usedBefore[l.ID]
			if l.Seats < 0 {
				l.Seats = 0
			}
			out = append(out, l)
		}
	}
	return out
}

// deptInstalls are one department's installs for the pool walk: by
// product, in device order, with the version they were read at.
type deptInstalls struct {
	version   int64
	byProduct map[string][]Install
}

func indexInstalls(version int64, ins []Install) deptInstalls {
	d := deptInstalls{version: version, byProduct: map[string][]Install{}}
	for _, in := range ins {
		d.byProduct[in.Product] = append(d.byProduct[in.Product], in)
	}
	for _, l := range d.byProduct {
		sort.SliceStable(l, func(i, j int) bool { return l[i].Device < l[j].Device })
	}
	return d
}

// poolMemo remembers what a department took from the pool for one product
// given its installs version, the licences and the seats left at its turn.
// Bounded: when full it starts over (a district has a few thousand
// department-product pairs).
type poolMemo struct {
	mu sync.Mutex
	m  map[string]map[string]int
}

const maxPoolMemo = 1 << 14

func (m *poolMemo) get(k string) (map[string]int, bool) {
	if m == nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[k]
	return v, ok
}

func (m *poolMemo) put(k string, v map[string]int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= maxPoolMemo {
		m.m = map[string]map[string]int{}
	}
	m.m[k] = v
}

// poolUsedBefore returns, per pool licence of the given products, the
// seats the departments before dept (in code order) take. depts lists the
// departments with installs, sorted; installs gives each one's.
func poolUsedBefore(p *licencePlan, dept string, products map[string]bool, depts []string, installs func(string) (deptInstalls, bool), memo *poolMemo) map[string]int {
	used := map[string]int{}
	for product := range products {
		pool := p.pool[product]
		if len(pool) == 0 {
			continue
		}
		for _, e := range depts {
			if e >= dept {
				break
			}
			di, ok := installs(e)
			if !ok || len(di.byProduct[product]) == 0 {
				continue
			}
			var key strings.Builder
			key.WriteString(e + "\x00" + product + "\x00" + strconv.FormatInt(di.version, 10) + "\x00" + p.sig[product] + "\x00" +
				licenceSig(p.own[e][product], p.at) + "\x00")
			for _, l := range pool {
				key.WriteString(strconv.Itoa(used[l.ID]))
				key.WriteByte(',')
			}
			took, ok := memo.get(key.String())
			if !ok {
				took = takeFromPool(p, e, product, di.byProduct[product], used)
				memo.put(key.String(), took)
			}
			for id, n := range took {
				used[id] += n
			}
		}
	}
	return used
}

// takeFromPool allocates one department's installs of one product as
// Evaluate does and returns the pool seats they take.
func takeFromPool(p *licencePlan, dept, product string, ins []Install, usedBefore map[string]int) map[string]int {
	ev := &Evaluation{AsOf: p.at, SeatsUsed: map[string]int{}}
	ls := append(append([]License(nil), p.own[dept][product]...), p.pool[product]...)
	for _, l := range p.pool[product] {
		ev.SeatsUsed[l.ID] = usedBefore[l.ID]
	}
	for _, in := range ins {
		ev.allocate(in, ls)
	}
	took := map[string]int{}
	for _, l := range p.pool[product] {
		if n := ev.SeatsUsed[l.ID] - usedBefore[l.ID]; n > 0 {
			took[l.ID] = n
		}
	}
	return took
}

// evaluateDepartment judges one department's installs alone, given the
// pool seats the departments before it took: the same Details, Summary and
// Departments as Evaluate of the district restricted to dept.
func evaluateDepartment(p *licencePlan, dept string, ins []Install, usedBefore map[string]int) *Evaluation {
	return Evaluate(ins, p.forDepartment(dept, usedBefore), p.at).ForDepartment(dept)
}

func productsOf(ins []Install) map[string]bool {
	out := map[string]bool{}
	for _, in := range ins {
		out[in.Product] = true
	}
	return out
}
