package terms

// ledgerFields are the column names of the software ledger's 明细表 device
// part (collector/ledger, collector/export): the machine's user, OS and
// hardware as the endpoint agent reports them (CONTRACT host.os_info,
// host.hardware, host.user).
var ledgerFields = map[string]Text{
	"user":              {"使用人", "User"},
	"device_source":     {"设备来源", "Device source"},
	"os_name":           {"操作系统", "Operating system"},
	"os_edition":        {"系统版本类型", "OS edition"},
	"os_version":        {"系统版本号", "OS version"},
	"os_arch":           {"系统架构", "OS architecture"},
	"os_activated":      {"系统激活", "OS activated"},
	"hw_vendor":         {"硬件厂商", "Hardware vendor"},
	"hw_model":          {"硬件型号", "Hardware model"},
	"hw_serial":         {"序列号", "Serial number"},
	"status":            {"授权状态", "Licence status"},
	"installs":          {"安装数", "Installs"},
	"legal":             {"正版安装", "Legal installs"},
	"unlicensed":        {"未授权安装", "Unlicensed installs"},
	"compliant":         {"全部正版", "All legal"},
	"devices":           {"设备数", "Devices"},
	"compliant_devices": {"正版设备数", "Compliant devices"},
}

// activation words: whether the OS reports itself activated.
var activation = map[string]Text{
	"yes": {"已激活", "activated"}, "no": {"未激活", "not activated"}, "": {"未知", "unknown"},
}

// deviceSources: how the ledger learnt of a device.
var deviceSources = map[string]Text{
	"endpoint": {"终端代理", "endpoint agent"}, "host": {"采集代理主机", "agent host"}, "snmp": {"SNMP设备", "SNMP device"},
}

// LedgerField is the column name of a 明细表 device field (the key itself
// when unknown).
func LedgerField(key string, lang Lang) string { return lookup(ledgerFields, key, lang) }

// Activation is an OS activation state in lang: nil is unknown (the OS
// does not tell, e.g. Linux).
func Activation(activated *bool, lang Lang) string {
	switch {
	case activated == nil:
		return activation[""].In(lang)
	case *activated:
		return activation["yes"].In(lang)
	}
	return activation["no"].In(lang)
}

// DeviceSource is how the ledger learnt of a device, in lang.
func DeviceSource(s string, lang Lang) string { return lookup(deviceSources, s, lang) }
