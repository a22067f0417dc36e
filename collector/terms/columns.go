package terms

// columns are the column headers the exports' tables (collector/export)
// and the web UI's lists (GET /api/v1/terms, "col.<key>") share: one word
// per column, so a sheet and the page that lists the same rows agree. The
// 明细表 device fields (ledgerFields) are columns too; ColumnName reads
// both, this table first.
var columns = map[string]Text{
	// violations
	"rule":       {"规则", "Rule"},
	"department": {"部门", "Department"},
	"subject":    {"对象", "Subject"},
	"severity":   {"严重程度", "Severity"},
	"status":     {"状态", "Status"},
	"citations":  {"条款", "Citations"},
	"evidence":   {"证据", "Evidence"},
	"first_seen": {"首次发现", "First seen"},
	"last_seen":  {"最近发现", "Last seen"},
	// the software ledger (汇总表, 明细表)
	"category":          {"软件类别", "Category"},
	"product":           {"软件名称", "Product"},
	"vendor":            {"厂商", "Vendor"},
	"domestic":          {"国产", "Domestic"},
	"licenses":          {"授权数", "Licences"},
	"licensed_installs": {"已授权安装", "Licensed installs"},
	"compliance":        {"正版化率", "Compliance"},
	"host":              {"设备", "Device"},
	"version":           {"版本", "Version"},
	"licensed":          {"已授权", "Licensed"},
	"license":           {"授权记录", "Licence"},
	"source":            {"来源", "Source"},
	// the progress series (CONTRACT egovnet_progress fields)
	"date":               {"日期", "Date"},
	"internet_egress":    {"互联网出口", "Internet egress"},
	"private_links":      {"业务专网", "Private links"},
	"isolation_breaches": {"隔离破坏", "Isolation breaches"},
	"local_servers":      {"本地服务器", "Local servers"},
	"websites":           {"部门网站", "Websites"},
	"endpoints":          {"终端数", "Endpoints"},
	"open_violations":    {"未整改违规", "Open violations"},
	"software_installs":  {"软件安装数", "Software installs"},
	"license_compliance": {"正版化率", "Licence compliance"},
	"domestic_share":     {"国产化率", "Domestic share"},
	"cloud_ratio":        {"上云率", "Cloud ratio"},
}

// ColumnName is the header of a column (the key itself when unknown):
// columns first, then the 明细表 device fields.
func ColumnName(key string, lang Lang) string {
	if t, ok := columns[key]; ok {
		return t.In(lang)
	}
	return lookup(ledgerFields, key, lang)
}

// ColumnKeys are the keys ColumnName knows (Dictionary serves each as
// "col.<key>").
func ColumnKeys() []string {
	out := make([]string, 0, len(columns)+len(ledgerFields))
	for k := range columns {
		out = append(out, k)
	}
	for k := range ledgerFields {
		if _, ok := columns[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
