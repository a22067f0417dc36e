package snmp

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/egovnet/egovnet/internal/wire"
)

// RenderTable writes a readable text view of an inventory (the
// `snmp-walk --format table` output): the system group, counts, then one
// section per non-empty table. Long lists are cut at maxRows rows per
// section (0 = all).
func RenderTable(w io.Writer, inv wire.DeviceInventory, maxRows int) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	p("设备 Device\t%s\n", inv.Target)
	p("凭据 credential\t%s\n", inv.Credential)
	if inv.EngineID != "" {
		p("引擎 engineID\t%s\n", inv.EngineID)
	}
	p("名称 sysName\t%s\n", oneLine(inv.System.Name))
	p("对象 sysObjectID\t%s\n", inv.System.ObjectID)
	p("描述 sysDescr\t%s\n", oneLine(inv.System.Descr))
	p("运行 uptime\t%ds\n", inv.System.UptimeS)
	p("联系 contact\t%s\n", oneLine(inv.System.Contact))
	p("位置 location\t%s\n", oneLine(inv.System.Location))
	p("计数 counts\tinterfaces=%d ip_addresses=%d arp=%d routes=%d neighbors=%d software=%d errors=%d\n",
		len(inv.Interfaces), len(inv.IPAddresses), len(inv.ARP), len(inv.Routes), len(inv.Neighbors), len(inv.Software), len(inv.Errors))
	if err := tw.Flush(); err != nil {
		return err
	}
	section := func(title string, header string, n int, row func(i int) string) error {
		if n == 0 {
			return nil
		}
		fmt.Fprintf(w, "\n== %s (%d)\n", title, n)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, header)
		for i := 0; i < n; i++ {
			if maxRows > 0 && i == maxRows {
				fmt.Fprintf(tw, "... %d more\n", n-maxRows)
				break
			}
			fmt.Fprintln(tw, row(i))
		}
		return tw.Flush()
	}
	errs := []error{
		section("接口 interfaces", "INDEX\tNAME\tDESCR\tALIAS\tTYPE\tMTU\tSPEED\tMAC\tADMIN\tOPER", len(inv.Interfaces), func(i int) string {
			x := inv.Interfaces[i]
			return fmt.Sprintf("%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%d\t%d", x.Index, oneLine(x.Name), oneLine(x.Descr), oneLine(x.Alias), x.Type, x.MTU, x.SpeedBps, x.MAC, x.AdminStatus, x.OperStatus)
		}),
		section("地址 ip_addresses", "ADDRESS\tPREFIX\tIFINDEX", len(inv.IPAddresses), func(i int) string {
			x := inv.IPAddresses[i]
			return fmt.Sprintf("%s\t%d\t%d", x.Address, x.PrefixLen, x.IfIndex)
		}),
		section("ARP arp", "IP\tMAC\tIFINDEX", len(inv.ARP), func(i int) string {
			x := inv.ARP[i]
			return fmt.Sprintf("%s\t%s\t%d", x.IP, x.MAC, x.IfIndex)
		}),
		section("路由 routes", "DESTINATION\tNEXT HOP\tIFINDEX\tPROTO\tTABLE", len(inv.Routes), func(i int) string {
			x := inv.Routes[i]
			return fmt.Sprintf("%s\t%s\t%d\t%d\t%s", x.Destination, x.NextHop, x.IfIndex, x.Protocol, x.SourceTable)
		}),
		section("邻居 neighbors", "PROTO\tLOCAL IF\tCHASSIS\tPORT\tSYSNAME\tADDRESS", len(inv.Neighbors), func(i int) string {
			x := inv.Neighbors[i]
			return fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s", x.Protocol, x.LocalIfIndex, oneLine(x.ChassisID), oneLine(x.PortID), oneLine(x.SysName), x.Address)
		}),
		section("软件 software", "NAME\tVERSION", len(inv.Software), func(i int) string {
			x := inv.Software[i]
			return fmt.Sprintf("%s\t%s", oneLine(x.Name), oneLine(x.Version))
		}),
		section("错误 errors", "TABLE\tERROR", len(inv.Errors), func(i int) string {
			x := inv.Errors[i]
			return fmt.Sprintf("%s\t%s", x.Table, oneLine(x.Error))
		}),
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func oneLine(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
	if r := []rune(s); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return s
}
