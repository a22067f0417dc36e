package export

import (
	"fmt"
	"time"

	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/internal/wire"
)

var (
	t0 = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	t1 = time.Date(2026, 3, 20, 2, 30, 0, 0, time.UTC)
)

func testMeta(lang Lang) Meta {
	return Meta{District: "杨浦区", AsOf: t1, Lang: lang, DepartmentNames: map[string]string{"CZJ": "区财政局"}}
}

// Article texts from seed 000 (杨府办发〔2021〕3号).
const (
	art19 = "本区电子政务网络须加强互联网接入管理。公务网应当与互联网物理隔离,政务外网应当与互联网逻辑隔离。各行政机关应当依托政务外网,形成相对集中的互联网接口,现有互联网接口应当逐步归并。"
	art17 = "除国家、市另有规定外,行政机关不得新建业务专网;已经建成的,按照业务性质和上下对应原则,逐步归并整合入政务外网。"
	art24 = "原则上各行政机关不得新建本单位网站。"
	doc   = "杨浦区电子政务管理办法（杨府办发〔2021〕3号）"
)

func testViolations() []wire.Violation {
	return []wire.Violation{
		{
			ID: "v3", Rule: wire.RuleDepartmentWebsite, Department: "CZJ", Subject: "=HYPERLINK(\"http://x\")",
			Severity: wire.SeverityMedium, Status: wire.StatusExempted,
			Citations: []wire.Citation{{Pack: "yangpu-2021", Document: doc, Article: "第二十四条", Text: art24, Summary: "No department may build its own website."}},
			Evidence: []wire.Evidence{{Agent: "agent-czj", Method: "http", ObservedAt: t0,
				Detail: map[string]any{"port": 8080.0, "title": "财政局内部门户"}}},
			Exemption: &wire.Exemption{Basis: "国家另有规定", Approver: "区大数据中心", Expires: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)},
			FirstSeen: t0, LastSeen: t1,
		},
		{
			ID: "v1", Rule: wire.RuleInternetEgress, Department: "CZJ", Subject: "10.1.0.1 → 203.0.113.1",
			Severity: wire.SeverityCritical, Status: wire.StatusOpen, Title: "未登记的互联网出口", TitleEN: "Unregistered internet exit",
			Citations: []wire.Citation{{Pack: "yangpu-2021", Document: doc, Article: "第十九条", Text: art19, Summary: "Internet interfaces are centralised; existing ones are merged."}},
			Evidence: []wire.Evidence{
				{Agent: "agent-czj", Method: "snmp", ObservedAt: t0, Detail: map[string]any{"destination": "0.0.0.0/0", "next_hop": "203.0.113.1", "device": "10.1.0.1:161"}},
				{Agent: "agent-czj", Method: "path", ObservedAt: t1, Detail: map[string]any{"target": "203.0.113.10", "hops": []any{"10.1.0.1", "203.0.113.1"}}},
			},
			FirstSeen: t0, LastSeen: t1,
		},
		{
			ID: "v2", Rule: wire.RulePrivateLink, Department: "JYJ", Subject: "172.20.0.0/16",
			Severity: wire.SeverityHigh, Status: wire.StatusAcknowledged, Registered: true,
			Citations: []wire.Citation{{Pack: "yangpu-2021", Document: doc, Article: "第十七条", Text: art17}},
			Evidence:  []wire.Evidence{{Agent: "agent-jyj", Method: "snmp", ObservedAt: t1, Detail: map[string]any{"if_alias": "公安专线 MPLS"}}},
			FirstSeen: t0, LastSeen: t1,
		},
	}
}

func testLedger() Ledger {
	activated := true
	return Ledger{
		Summary: []LedgerSummaryRow{
			{Department: "CZJ", Category: "os", Product: "Windows 10 专业版", Vendor: "Microsoft", Installs: 40, Licenses: 30, Licensed: 30, Unlicensed: 10},
			{Department: "CZJ", Category: "office", Product: "WPS Office", Vendor: "金山", Domestic: true, Installs: 40, Licenses: 50, Licensed: 40},
		},
		Detail: []LedgerDetailRow{
			{Department: "CZJ", Host: "10.1.0.21", User: "张三", Category: "os", Product: "Windows 10 专业版", Version: "22H2", Vendor: "Microsoft",
				Licensed: true, License: "LIC-2025-001", Source: "registry", FirstSeen: t0, LastSeen: t1, Status: "licensed",
				OSInfo:   &wire.OSInfo{Name: "Microsoft Windows 10 专业版", Edition: "Professional", Version: "22H2", Arch: "amd64", Activated: &activated},
				Hardware: &wire.Hardware{Vendor: "LENOVO", Model: "ThinkCentre M720t", Serial: "PC0XYZ12"}},
			{Department: "CZJ", Host: "10.1.0.22", Category: "office", Product: "WPS Office", Version: "12.1", Vendor: "金山",
				Domestic: true, Licensed: false, Source: "registry", FirstSeen: t0, LastSeen: t1, Status: "unlicensed"},
		},
	}
}

func testSnapshots() []progress.Snapshot {
	var out []progress.Snapshot
	for i := 0; i < 3; i++ {
		out = append(out, progress.Snapshot{Department: "CZJ", District: "310110", Date: fmt.Sprintf("2026-03-0%d", i+1),
			At: t0.Add(time.Duration(i) * 24 * time.Hour), Fields: progress.Fields{
				InternetEgress: int64(3 - i), PrivateLinks: 1, LocalServers: 2, Websites: 1, Endpoints: 40, OpenViolations: int64(7 - i),
				SoftwareInstalls: 80, UnlicensedInstalls: int64(10 - 2*i), LicenseCompliance: float64(70+2*i) / 80, DomesticShare: 0.5, CloudRatio: 0.25}})
	}
	out = append(out, progress.Snapshot{Date: "2026-03-03", District: "310110", Fields: progress.Fields{InternetEgress: 4, LicenseCompliance: 1, CloudRatio: 1}})
	return out
}
