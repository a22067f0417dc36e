package catalog

import (
	"strings"
	"testing"
)

// want is what a name must normalise to; empty fields are not checked
// except category and domestic, which always are.
type want struct {
	key      string // product key; "-" = unknown
	category string
	domestic bool
	kind     string
	home     bool
	version  string
}

func TestMatchNames(t *testing.T) {
	c := MustDefault()
	cases := []struct {
		name, version, vendor string
		want                  want
	}{
		// ---- the issue's own examples ----
		{"kingbase-server", "", "", want{key: "kingbase", category: "database", domestic: true, kind: "install"}},
		{"dmdbms", "", "", want{key: "dameng", category: "database", domestic: true, kind: "install"}},
		{"wps-office", "11.1.0.11719", "", want{key: "wps", category: "office", domestic: true, kind: "install", home: true}},
		{"com.kylin.software.center", "", "", want{key: "kylin-os", category: "os", domestic: true, kind: "component"}},
		{"Microsoft Office Professional Plus 2016", "", "", want{key: "ms-office", category: "office", kind: "install", version: "2016"}},
		{"WPS Office (11.1.0.11294)", "", "", want{key: "wps", category: "office", domestic: true, kind: "install", home: true, version: "11.1.0.11294"}},
		{"WPS Office 2019 专业版", "", "", want{key: "wps", category: "office", domestic: true, kind: "install", home: false}},
		{"360安全卫士", "", "", want{key: "qihoo-360", category: "antivirus", domestic: true, kind: "install", home: true}},
		{"Kingsoft Antivirus", "", "", want{key: "kingsoft-antivirus", category: "antivirus", domestic: true, kind: "install", home: true}},
		{"mysql-common", "", "", want{key: "mysql", category: "other", kind: "library"}},
		{"postgresql-client", "", "", want{key: "postgresql", category: "database", kind: "client"}},
		// ---- domestic OS ----
		{"银河麒麟高级服务器操作系统V10", "", "", want{key: "kylin-os", category: "os", domestic: true, kind: "install", version: "V10"}},
		{"Kylin Linux Advanced Server V10 (Sword)", "", "", want{key: "kylin-os", category: "os", domestic: true}},
		{"银河麒麟桌面操作系统 V10 SP1", "", "", want{key: "kylin-os", category: "os", domestic: true}},
		{"中标麒麟桌面操作系统V7.0", "", "", want{key: "neokylin", category: "os", domestic: true}},
		{"中标麒麟操作系统", "", "", want{key: "neokylin", category: "os", domestic: true}},
		{"NeoKylin Linux Advanced Server release 7.0", "", "", want{key: "neokylin", category: "os", domestic: true}},
		{"统信UOS服务器操作系统V20", "", "", want{key: "uos", category: "os", domestic: true}},
		{"UnionTech OS Desktop 20 Professional", "", "", want{key: "uos", category: "os", domestic: true}},
		{"UOS 20", "", "", want{key: "uos", category: "os", domestic: true}},
		{"Deepin 20.9", "", "", want{key: "deepin", category: "os", domestic: true}},
		{"深度操作系统 deepin 23", "", "", want{key: "deepin", category: "os", domestic: true}},
		{"openEuler 22.03 (LTS-SP1)", "", "", want{key: "openeuler", category: "os", domestic: true}},
		{"Anolis OS 8.8", "", "", want{key: "anolis", category: "os", domestic: true}},
		{"优麒麟 22.04", "", "", want{key: "ubuntu-kylin", category: "os", domestic: true}},
		{"中科方德桌面操作系统", "", "", want{key: "nfschina", category: "os", domestic: true}},
		{"kylin-release", "V10", "", want{key: "kylin-os", category: "os", domestic: true, kind: "install"}},
		{"ukui-panel", "3.0", "", want{key: "kylin-os", category: "os", domestic: true, kind: "component"}},
		// ---- foreign OS ----
		{"Microsoft Windows 10 专业版", "", "", want{key: "windows", category: "os"}},
		{"Windows 10 Home", "", "", want{key: "windows", category: "os", home: true}},
		{"Windows 7 Home Premium", "", "", want{key: "windows", category: "os", home: true}},
		{"Windows 10 家庭中文版", "", "", want{key: "windows", category: "os", home: true}},
		{"Windows 11 Pro", "", "", want{key: "windows", category: "os", home: false}},
		{"Windows Server 2019 Datacenter", "", "", want{key: "windows-server", category: "os", version: "2019"}},
		{"Microsoft Windows Server 2008 R2 Enterprise", "", "", want{key: "windows-server", category: "os", version: "2008 R2"}},
		{"Red Hat Enterprise Linux Server release 7.9 (Maipo)", "", "", want{key: "rhel", category: "os"}},
		{"CentOS Linux 7 (Core)", "", "", want{key: "centos", category: "os"}},
		{"Ubuntu 22.04.3 LTS", "", "", want{key: "ubuntu", category: "os"}},
		{"Debian GNU/Linux 12 (bookworm)", "", "", want{key: "debian", category: "os"}},
		{"SUSE Linux Enterprise Server 15 SP4", "", "", want{key: "sles", category: "os"}},
		{"Rocky Linux 9.2", "", "", want{key: "rocky", category: "os"}},
		{"Security Update for Windows XP (KB2621440)", "", "", want{key: "windows", category: "os", kind: "update"}},
		{"Windows Internet Explorer 8", "", "", want{key: "windows-components", category: "other"}},
		{"Windows Driver Package - Intel (e1express) Net", "", "", want{key: "windows-components", category: "other"}},
		// ---- domestic databases ----
		{"达梦数据库管理系统 V8", "", "", want{key: "dameng", category: "database", domestic: true}},
		{"DM8", "", "", want{key: "dameng", category: "database", domestic: true, version: "8"}},
		{"DM Database Server 8.1", "", "", want{key: "dameng", category: "database", domestic: true}},
		{"人大金仓数据库KingbaseES V8R6", "", "", want{key: "kingbase", category: "database", domestic: true, version: "V8R6"}},
		{"KingbaseES V9", "", "", want{key: "kingbase", category: "database", domestic: true}},
		{"Kingbase ES V8", "", "", want{key: "kingbase", category: "database", domestic: true}},
		{"GBase 8s", "", "", want{key: "gbase", category: "database", domestic: true}},
		{"GBase8a MPP Cluster", "", "", want{key: "gbase", category: "database", domestic: true}},
		{"南大通用GBase 8c", "", "", want{key: "gbase", category: "database", domestic: true}},
		{"神通数据库 V7.0", "", "", want{key: "shentong", category: "database", domestic: true}},
		{"openGauss 5.0.0", "", "", want{key: "opengauss", category: "database", domestic: true}},
		{"GaussDB(for openGauss)", "", "", want{key: "gaussdb", category: "database", domestic: true}},
		{"OceanBase Database 4.2", "", "", want{key: "oceanbase", category: "database", domestic: true}},
		{"TiDB 7.5", "", "", want{key: "tidb", category: "database", domestic: true}},
		{"瀚高数据库 HighGo DB 6.0", "", "", want{key: "highgo", category: "database", domestic: true}},
		{"虚谷数据库 V12", "", "", want{key: "xugu", category: "database", domestic: true}},
		{"海量数据库Vastbase G100", "", "", want{key: "vastbase", category: "database", domestic: true}},
		// ---- foreign databases ----
		{"Oracle Database 19c Enterprise Edition", "", "", want{key: "oracle-db", category: "database", kind: "install"}},
		{"Oracle Database 11g Express Edition", "", "", want{key: "oracle-db", category: "database"}},
		{"OraDB19Home1", "", "", want{key: "oracle-db", category: "database", home: false}},
		{"Oracle Instant Client 19", "", "", want{key: "oracle-db", category: "database", kind: "client"}},
		{"Microsoft SQL Server 2019 (64-bit)", "", "", want{key: "sqlserver", category: "database", kind: "install"}},
		{"Microsoft SQL Server Management Studio - 18.12.1", "", "", want{key: "sqlserver", category: "database", kind: "client"}},
		{"Microsoft SQL Server 2012 Native Client", "", "", want{key: "sqlserver", category: "other", kind: "library"}},
		{"Microsoft ODBC Driver 17 for SQL Server", "", "", want{key: "sqlserver", category: "other", kind: "library"}},
		{"MySQL Server 8.0", "", "", want{key: "mysql", category: "database", kind: "install"}},
		{"MySQL Workbench 8.0 CE", "", "", want{key: "mysql", category: "database", kind: "client"}},
		{"MySQL Connector/ODBC 8.0", "", "", want{key: "mysql", category: "other", kind: "library"}},
		{"mysql-libs-5.1.73-5.el6_6", "", "", want{key: "mysql", category: "other", kind: "library", version: "5.1.73-5.el6_6"}},
		{"libmysqlclient21", "8.0.36", "", want{key: "mysql", category: "other", kind: "library"}},
		{"postgresql-15", "15.4-1", "", want{key: "postgresql", category: "database", kind: "install"}},
		{"postgresql-client-15", "15.4-1", "", want{key: "postgresql", category: "database", kind: "client"}},
		{"libpq5", "15.4-1", "", want{key: "postgresql", category: "other", kind: "library"}},
		{"PostgreSQL 16", "", "", want{key: "postgresql", category: "database", kind: "install"}},
		{"pgAdmin 4 version 7.8", "", "", want{key: "postgresql", category: "database", kind: "client"}},
		{"libdbd-mysql-perl", "4.050", "", want{key: "-", category: "other"}},
		{"IBM DB2 v11.5", "", "", want{key: "db2", category: "database"}},
		{"MongoDB 7.0.2 2008R2Plus SSL (64 bit)", "", "", want{key: "mongodb", category: "database"}},
		{"Redis on Windows", "", "", want{key: "redis", category: "database"}},
		{"Sybase ASE 16.0", "", "", want{key: "sybase-ase", category: "database"}},
		// ---- middleware ----
		{"TongWeb 7.0", "", "", want{key: "tongweb", category: "middleware", domestic: true}},
		{"东方通应用服务器软件TongWeb V7.0", "", "", want{key: "tongweb", category: "middleware", domestic: true}},
		{"TongLINK/Q 8.1", "", "", want{key: "tonglinkq", category: "middleware", domestic: true}},
		{"金蝶Apusic应用服务器 V10", "", "", want{key: "apusic", category: "middleware", domestic: true}},
		{"Apusic Application Server 9.0", "", "", want{key: "apusic", category: "middleware", domestic: true}},
		{"宝兰德应用服务器软件 V9.5", "", "", want{key: "bes", category: "middleware", domestic: true}},
		{"BES Application Server 9.5.2", "", "", want{key: "bes", category: "middleware", domestic: true}},
		{"中创中间件 InforSuite AS V10", "", "", want{key: "inforsuite", category: "middleware", domestic: true}},
		{"Oracle WebLogic Server 12c", "", "", want{key: "weblogic", category: "middleware"}},
		{"IBM WebSphere Application Server ND 9.0", "", "", want{key: "websphere", category: "middleware"}},
		{"Apache Tomcat 9.0 Tomcat9 (remove only)", "", "", want{key: "tomcat", category: "middleware"}},
		{"tomcat9", "9.0.70-2", "", want{key: "tomcat", category: "middleware", kind: "install"}},
		{"tomcat9-common", "9.0.70-2", "", want{key: "tomcat", category: "other", kind: "library"}},
		{"nginx-filesystem-1.14.1-9.module_el8.0.0+184+e34fea82", "", "", want{key: "nginx", category: "other", kind: "library"}},
		{"httpd-2.4.37-21.module_el8.2.0+382+15b0afa8", "", "", want{key: "apache-httpd", category: "middleware", kind: "install"}},
		{"JBoss EAP 7.4", "", "", want{key: "jboss-eap", category: "middleware"}},
		// ---- antivirus ----
		{"奇安信天擎终端安全管理系统", "", "", want{key: "qianxin-tianqing", category: "antivirus", domestic: true}},
		{"360天擎终端安全管理系统", "", "", want{key: "qianxin-tianqing", category: "antivirus", domestic: true}},
		{"360杀毒", "", "", want{key: "qihoo-360", category: "antivirus", domestic: true, home: true}},
		{"360 Total Security", "", "", want{key: "qihoo-360", category: "antivirus", domestic: true, home: true}},
		{"360安全浏览器", "", "", want{key: "browsers-cn", category: "other", domestic: true}},
		{"Norton 360", "", "", want{key: "norton", category: "antivirus", domestic: false, home: true}},
		{"瑞星杀毒软件", "", "", want{key: "rising", category: "antivirus", domestic: true}},
		{"Rising Antivirus V17", "", "", want{key: "rising", category: "antivirus", domestic: true}},
		{"金山毒霸", "", "", want{key: "kingsoft-antivirus", category: "antivirus", domestic: true, home: true}},
		{"火绒安全软件", "", "", want{key: "huorong", category: "antivirus", domestic: true, home: true}},
		{"火绒终端安全管理系统", "", "", want{key: "huorong", category: "antivirus", domestic: true, home: false}},
		{"江民杀毒软件KV2011", "", "", want{key: "jiangmin", category: "antivirus", domestic: true}},
		{"腾讯电脑管家", "", "", want{key: "tencent-pcmgr", category: "antivirus", domestic: true, home: true}},
		{"亚信安全防毒墙网络版", "", "", want{key: "asiainfo-security", category: "antivirus", domestic: true}},
		{"Symantec Endpoint Protection", "14.3.558", "Broadcom", want{key: "symantec", category: "antivirus"}},
		{"McAfee VirusScan Enterprise", "", "", want{key: "mcafee", category: "antivirus"}},
		{"Kaspersky Endpoint Security for Windows", "", "", want{key: "kaspersky", category: "antivirus"}},
		{"ESET File Security", "", "", want{key: "eset", category: "antivirus"}},
		{"ESET NOD32 Antivirus", "", "", want{key: "eset", category: "antivirus", home: true}},
		{"Trend Micro OfficeScan Agent", "", "", want{key: "trendmicro", category: "antivirus"}},
		{"Windows Defender", "", "", want{key: "ms-defender", category: "antivirus"}},
		{"clamav", "1.0.7", "", want{key: "clamav", category: "antivirus", kind: "install"}},
		{"Avast Free Antivirus", "", "", want{key: "avast", category: "antivirus", home: true}},
		// ---- office ----
		{"Microsoft Office 专业增强版 2019", "", "", want{key: "ms-office", category: "office"}},
		{"Microsoft Office Home and Student 2019 - zh-cn", "", "", want{key: "ms-office", category: "office", home: true}},
		{"Microsoft Office 家庭和学生版 2016", "", "", want{key: "ms-office", category: "office", home: true}},
		{"Microsoft Office Home and Business 2016", "", "", want{key: "ms-office", category: "office", home: false}},
		{"Microsoft 365 Apps for enterprise - zh-cn", "", "", want{key: "m365", category: "office"}},
		{"Microsoft Office 365 ProPlus - en-us", "", "", want{key: "m365", category: "office"}},
		{"Microsoft 365 家庭版", "", "", want{key: "m365", category: "office", home: true}},
		{"Microsoft Visio Professional 2016", "", "", want{key: "ms-visio", category: "office"}},
		{"Microsoft Visual C++ 2015-2019 Redistributable (x64) - 14.28.29913", "", "", want{key: "vcredist", category: "other"}},
		{"Microsoft Office Access database engine 2007 (English)", "", "", want{key: "ms-access", category: "other", kind: "library"}},
		{"Office Professional Plus 2016", "", "Microsoft Corporation", want{key: "ms-office", category: "office"}},
		{"WPS Office", "11.8.2.12085", "Kingsoft Corp.", want{key: "wps", category: "office", domestic: true, home: false}},
		{"WPS  Office", "", "", want{key: "wps", category: "office", domestic: true}},
		{"wps-office_11.1.0.11719_amd64", "", "", want{key: "wps", category: "office", domestic: true, kind: "install", home: true}},
		{"永中Office 2019", "", "", want{key: "yozo", category: "office", domestic: true}},
		{"Yozo Office", "", "", want{key: "yozo", category: "office", domestic: true}},
		{"中标普华Office V5.0", "", "", want{key: "cs2c-office", category: "office", domestic: true}},
		{"LibreOffice 7.5.4.2", "", "", want{key: "libreoffice", category: "office"}},
		{"libreoffice-writer", "4:7.4.7-1", "", want{key: "libreoffice", category: "office", kind: "install"}},
		{"libreoffice-common", "4:7.4.7-1", "", want{key: "libreoffice", category: "other", kind: "library"}},
		{"Apache OpenOffice 4.1.14", "", "", want{key: "openoffice", category: "office"}},
		// ---- layout ----
		{"数科OFD阅读器", "", "", want{key: "suwell", category: "layout", domestic: true}},
		{"福昕阅读器", "", "", want{key: "foxit-reader", category: "layout", domestic: true}},
		{"Foxit Reader", "", "", want{key: "foxit-reader", category: "layout", domestic: true}},
		{"Foxit PhantomPDF", "", "", want{key: "foxit-editor", category: "layout", domestic: true}},
		{"福昕OFD版式办公套件", "", "", want{key: "foxit-ofd", category: "layout", domestic: true}},
		{"书生阅读器", "", "", want{key: "sursen", category: "layout", domestic: true}},
		{"Adobe Acrobat DC (64-bit)", "", "", want{key: "adobe-acrobat", category: "layout"}},
		{"Adobe Acrobat Reader DC - Chinese Simplified", "", "", want{key: "adobe-reader", category: "layout"}},
		{"Adobe Reader 9", "", "", want{key: "adobe-reader", category: "layout"}},
		{"Acrobat.com", "", "", want{key: "adobe-runtime", category: "other"}},
		{"CAJViewer 7.3", "", "", want{key: "cajviewer", category: "layout", domestic: true}},
		// ---- unknown and other ----
		{"TotallyUnknownWidget 3.1", "", "", want{key: "-", category: "other"}},
		{"acpid_1:2.0.33-2+b1_amd64", "", "", want{key: "-", category: "other"}},
		{"JUNOS Base OS Software Suite [13.3R9.13]", "", "", want{key: "junos", category: "other", version: "13.3R9.13"}},
		{"Python 2.7.3", "", "", want{key: "python", category: "other"}},
		{"微信", "", "", want{key: "im-cn", category: "other", domestic: true}},
		{"", "", "", want{key: "-", category: "other"}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, "/", "_"), func(t *testing.T) {
			r := c.Match(Input{Name: tc.name, Version: tc.version, Vendor: tc.vendor})
			key := r.ProductKey
			if key == "" {
				key = "-"
			}
			if key != tc.want.key {
				t.Errorf("product %q, want %q (result %+v)", key, tc.want.key, r)
			}
			if r.Category != tc.want.category {
				t.Errorf("category %q, want %q", r.Category, tc.want.category)
			}
			if r.Domestic != tc.want.domestic {
				t.Errorf("domestic %v, want %v", r.Domestic, tc.want.domestic)
			}
			if tc.want.kind != "" && r.Kind != tc.want.kind {
				t.Errorf("kind %q, want %q", r.Kind, tc.want.kind)
			}
			if r.HomeEdition != tc.want.home {
				t.Errorf("home edition %v, want %v (edition %q)", r.HomeEdition, tc.want.home, r.Edition)
			}
			if tc.want.version != "" && r.Version != tc.want.version {
				t.Errorf("version %q, want %q", r.Version, tc.want.version)
			}
			if key == "-" && (r.Product != "" || r.Category != CategoryOther) {
				t.Errorf("unknown software must have product \"\" and category other, got %q/%q", r.Product, r.Category)
			}
		})
	}
}

func TestMatchPlatformAndParts(t *testing.T) {
	c := MustDefault()
	cases := []struct{ name, key, category, kind string }{
		{"PolarDB for PostgreSQL", "polardb", "database", "install"},
		{"TDSQL for MySQL", "tdsql", "database", "install"},
		{"GaussDB for MySQL", "gaussdb", "database", "install"},
		{"Navicat for MySQL", "navicat", "other", "install"}, // commercial tool of its own, not a MySQL client
		{"Oracle Database 19c Client", "oracle-db", "database", "client"},
		{"达梦数据库客户端", "dameng", "database", "client"},
		{"Oracle ODBC Driver", "oracle-db", "other", "library"},
		{"达梦数据库JDBC驱动", "dameng", "other", "library"},
		{"IBM MQ Client 9.2", "ibm-mq", "middleware", "client"},
		{"Microsoft SQL Server 2012 Native Client", "sqlserver", "other", "library"},
		{"Kaspersky Endpoint Security for Windows", "kaspersky", "antivirus", "install"},
		{"Microsoft Security Client", "ms-defender", "antivirus", "install"},
		{"Windows Embedded Standard 7", "windows", "os", "install"},
		{"openKylin 1.0", "openkylin", "os", "install"},
		{"HarmonyOS 4", "harmonyos", "os", "install"},
		{"金山文档", "wps", "office", "install"},
		{"Mircosoft Ofice 2016", "ms-office", "office", "install"},
		{"Orcale Database 11g", "oracle-db", "database", "install"},
		{"King base ES V8", "kingbase", "database", "install"},
		{"PDF阅读器\t11.0\t福建福昕软件开发股份有限公司", "foxit-reader", "layout", "install"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := strings.Split(tc.name, "\t")
			in := Input{Name: f[0]}
			if len(f) == 3 {
				in.Version, in.Vendor = f[1], f[2]
			}
			r := c.Match(in)
			if r.ProductKey != tc.key || r.Category != tc.category || r.Kind != tc.kind {
				t.Errorf("= %s/%s/%s, want %s/%s/%s", r.ProductKey, r.Category, r.Kind, tc.key, tc.category, tc.kind)
			}
		})
	}
}

// TestMatchAgentSplit feeds names the way the agent's SNMP walk sends them:
// name and version already split (agent/probe/snmp.SplitSoftwareName).
func TestMatchAgentSplit(t *testing.T) {
	c := MustDefault()
	cases := []struct{ name, version, key, category, kind string }{
		{"base-files", "10.1ubuntu2.9", "ubuntu", "os", "install"},
		{"base-files", "12.4+deb12u7", "debian", "os", "install"},
		{"base-files", "10.3+rpi1+deb10u4", "raspios", "os", "install"},
		{"centos-release", "8.1-1.1911.0.9.el8", "centos", "os", "install"},
		{"redhat-release-server", "6Server-6.7.0.3.el6", "rhel", "os", "install"},
		{"mysql-libs", "5.1.73-5.el6_6", "mysql", "other", "library"},
		{"nginx-light", "1.14.0-0ubuntu1.7", "nginx", "middleware", "install"},
		{"nginx-filesystem", "1.14.1-9.module_el8.0.0+184+e34fea82", "nginx", "other", "library"},
		{"postgresql-client-15", "15.4-1", "postgresql", "database", "client"},
		{"JUNOS Base OS Software Suite", "13.3R9.13", "junos", "other", "install"},
		{"7-Zip", "9.20", "archivers", "other", "install"},
		{"Mozilla Firefox", "19.0.2", "firefox", "other", "install"},
		{"WinRAR", "4.20", "archivers", "other", "install"},
		{"kylin-release", "V10", "kylin-os", "os", "install"},
		{"ubuntu-minimal", "1.417", "ubuntu", "os", "component"},
		{"Microsoft Office Enterprise 2007", "", "ms-office", "office", "install"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"_"+tc.version, func(t *testing.T) {
			r := c.Match(Input{Name: tc.name, Version: tc.version, Source: "snmp"})
			if r.ProductKey != tc.key || r.Category != tc.category || r.Kind != tc.kind {
				t.Errorf("= %s/%s/%s, want %s/%s/%s", r.ProductKey, r.Category, r.Kind, tc.key, tc.category, tc.kind)
			}
		})
	}
}

func TestMatchLookalikes(t *testing.T) {
	c := MustDefault()
	cases := []struct{ name, key, category string }{
		{"Apache Kylin 4.0", "apache-kylin", "database"}, // not Kylin OS
		{"腾讯御点终端安全系统", "tencent-pcmgr", "antivirus"},
		{"金山V8终端安全系统", "kingsoft-antivirus", "antivirus"},
		{"StarRocks 3.1", "starrocks", "database"},
		{"Greenplum Database 6", "greenplum", "database"},
		{"PDFCreator", "pdf-tools-free", "layout"},
		{"360压缩", "archivers", "other"},
		{"360极速浏览器", "browsers-cn", "other"},
	}
	for _, tc := range cases {
		if r := c.MatchName(tc.name); r.ProductKey != tc.key || r.Category != tc.category {
			t.Errorf("%s = %s/%s, want %s/%s", tc.name, r.ProductKey, r.Category, tc.key, tc.category)
		}
	}
	if r := c.MatchName("腾讯御点终端安全系统"); r.HomeEdition || !r.Commercial {
		t.Errorf("Tencent Yudian is the enterprise product: %+v", r)
	}
}
