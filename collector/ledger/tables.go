package ledger

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/chinatime"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/xuri/excelize/v2"
)

// categoryZH and licenceZH are the terms package's words: the ledger's
// tables, the exports and the web UI name things alike.
func categoryZH(c string) string { return terms.Category(c, terms.ZH) }

func licenceZH(s string) string { return terms.Licence(s, terms.ZH) }

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// Table kinds the exports write.
const (
	TableSummary     = "summary"     // 软件使用情况汇总表
	TableDetails     = "details"     // 软件使用情况明细表
	TableMaintenance = "maintenance" // 软件安装维护情况明细表
	TableLicenses    = "licenses"    // 授权台账
	TableDevices     = "devices"     // 设备明细 (the 明细表's device part)
)

// TableTitles are the sheet titles of each table.
var TableTitles = map[string]string{
	TableSummary: "软件使用情况汇总表", TableDetails: "软件使用情况明细表",
	TableMaintenance: "软件安装维护情况明细表", TableLicenses: "授权台账", TableDevices: "设备明细表",
}

// SummaryTable renders the 汇总表.
func SummaryTable(rows []SummaryRow) ([]string, [][]string) {
	head := []string{"部门", "软件类别", "软件名称", "产品编码", "厂商", "国产", "版本", "安装数", "授权数", "已授权安装", "免费安装", "未授权安装",
		"超授权安装", "授权过期", "家庭/个人版", "未备案授权", "费用(元)", "用途", "正版化率"}
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, []string{r.Department, categoryZH(r.Category), r.ProductName, r.Product, r.Vendor, yesNo(r.Domestic),
			strings.Join(r.Versions, ", "), strconv.Itoa(r.Installs), strconv.Itoa(r.Licenses), strconv.Itoa(r.Licensed),
			strconv.Itoa(r.Free), strconv.Itoa(r.Unlicensed), strconv.Itoa(r.OverDeployed), strconv.Itoa(r.Expired),
			strconv.Itoa(r.HomeEdition), strconv.Itoa(r.Unfiled), strconv.FormatFloat(r.Cost, 'f', 2, 64), r.Purpose, pct(r.Compliance)})
	}
	return head, out
}

// deviceHead are the device columns the 明细表 and the device table share,
// named by the terms package (appended after the existing columns, so
// spreadsheets keyed on the old positions keep working).
func deviceHead() []string {
	keys := []string{"user", "os_name", "os_edition", "os_version", "os_arch", "os_activated", "hw_vendor", "hw_model", "hw_serial"}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = terms.LedgerField(k, terms.ZH)
	}
	return out
}

func deviceCells(user string, osi *wire.OSInfo, hw *wire.Hardware) []string {
	var o wire.OSInfo
	act := "" // no OS facts at all: nothing to say about activation either
	if osi != nil {
		o = *osi
		act = terms.Activation(o.Activated, terms.ZH)
	}
	var h wire.Hardware
	if hw != nil {
		h = *hw
	}
	return []string{user, o.Name, o.Edition, o.Version, o.Arch, act, h.Vendor, h.Model, h.Serial}
}

// DetailsTable renders the 明细表: one row per counted install, with its
// device's user, OS and hardware.
func DetailsTable(rows []Detail) ([]string, [][]string) {
	head := append([]string{"部门", "设备", "设备名称", "软件类别", "软件名称", "版本", "版本类型", "厂商", "国产", "授权状态", "授权记录", "来源", "首次发现", "最近发现"},
		deviceHead()...)
	out := make([][]string, 0, len(rows))
	for _, d := range rows {
		status := licenceZH(d.Status)
		out = append(out, append([]string{d.Department, d.Device, d.DeviceName, categoryZH(d.Category), d.ProductName, d.Version, d.Edition,
			d.Vendor, yesNo(d.Domestic), status, d.License, d.Source, d.FirstSeen.In(chinatime.Location).Format("2006-01-02 15:04"), d.LastSeen.In(chinatime.Location).Format("2006-01-02 15:04")},
			deviceCells(d.User, d.OSInfo, d.Hardware)...))
	}
	return head, out
}

// DevicesTable renders the 明细表's device part: one row per device with
// its user, OS, hardware and how its installs stand.
func DevicesTable(devs []Device) ([]string, [][]string) {
	head := append([]string{"部门", "设备", "设备名称", terms.LedgerField("device_source", terms.ZH)}, deviceHead()...)
	head = append(head, terms.LedgerField("installs", terms.ZH), terms.LedgerField("legal", terms.ZH), terms.LedgerField("unlicensed", terms.ZH),
		terms.LedgerField("compliant", terms.ZH), "首次发现", "最近发现")
	out := make([][]string, 0, len(devs))
	for _, d := range devs {
		row := append([]string{d.Department, d.Device, d.DeviceName, terms.DeviceSource(d.Source, terms.ZH)}, deviceCells(d.User, d.OSInfo, d.Hardware)...)
		row = append(row, strconv.Itoa(d.Installs), strconv.Itoa(d.Legal), strconv.Itoa(d.Unlicensed), yesNo(d.Compliant),
			d.FirstSeen.In(chinatime.Location).Format("2006-01-02 15:04"), d.LastSeen.In(chinatime.Location).Format("2006-01-02 15:04"))
		out = append(out, row)
	}
	return head, out
}

// MaintenanceTable renders the 软件安装维护情况明细表.
func MaintenanceTable(events []Event) ([]string, [][]string) {
	head := []string{"日期", "部门", "设备", "设备名称", "软件类别", "软件名称", "操作", "版本", "原版本"}
	actions := map[string]string{"install": "安装", "uninstall": "卸载", "upgrade": "升级"}
	out := make([][]string, 0, len(events))
	for _, e := range events {
		out = append(out, []string{e.At.In(chinatime.Location).Format("2006-01-02 15:04"), e.Department, e.Device, e.DeviceName, categoryZH(e.Category),
			e.ProductName, actions[e.Action], e.Version, e.From})
	}
	return head, out
}

func writeCSV(w io.Writer, head []string, rows [][]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, r := range rows {
		for i, v := range r {
			r[i] = neutralise(v)
		}
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// neutralise keeps spreadsheet formulas out of exported cells (CSV
// injection): names come from devices nobody vetted.
func neutralise(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "'" + v
		}
	}
	return v
}

func writeXLSX(w io.Writer, sheet string, head []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	cells := make([]any, len(head))
	for i, h := range head {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	for n, r := range rows {
		vals := make([]any, len(r))
		for i, v := range r {
			vals[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, vals); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// WriteTable writes a rendered table as "csv" or "xlsx".
func WriteTable(w io.Writer, format, title string, head []string, rows [][]string) error {
	switch format {
	case "csv":
		return writeCSV(w, head, rows)
	case "xlsx":
		return writeXLSX(w, title, head, rows)
	}
	return fmt.Errorf("format %q: want csv or xlsx", format)
}
