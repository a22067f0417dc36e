package export

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/signintech/gopdf"
)

// DefaultFontPaths are searched in order for a CJK font gopdf can embed
// (TrueType outlines; a .ttc collection contributes its first font). Noto
// CJK is listed last for the error message: its CFF outlines cannot be
// embedded by gopdf, so it is reported as unusable rather than silently
// producing a PDF of empty boxes.
var DefaultFontPaths = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
	"/usr/share/fonts/truetype/arphic/ukai.ttc",
	"/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", // RPM layout
	"/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
	"C:/Windows/Fonts/simhei.ttf",
	"C:/Windows/Fonts/simsun.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}

// Font is a loaded CJK TrueType font ready for gopdf.
type Font struct {
	Path string
	Data []byte // a single TrueType font (extracted from a collection if needed)
}

// probeRunes must all be in the font: the rule names' characters are the
// ones auditors read first.
const probeRunes = "违规互联网出口业务专网部门第页"

// FindFont returns the first usable CJK font: the configured file when
// given (and then only that one), else the first of DefaultFontPaths.
func FindFont(configured string) (*Font, error) {
	paths := DefaultFontPaths
	if configured != "" {
		paths = []string{configured}
	}
	var tried []string
	for _, p := range paths {
		f, err := LoadFont(p)
		if err == nil {
			return f, nil
		}
		if configured == "" && errors.Is(err, os.ErrNotExist) {
			tried = append(tried, p+" (absent)")
			continue
		}
		tried = append(tried, fmt.Sprintf("%s (%v)", p, err))
	}
	return nil, fmt.Errorf("no usable CJK TrueType font for PDF export; tried: %s. Install fonts-wqy-microhei (or fonts-wqy-zenhei, fonts-droid-fallback) or set export.font_file to a .ttf/.ttc with TrueType outlines", strings.Join(tried, "; "))
}

// LoadFont reads a .ttf or the first font of a .ttc, and checks that gopdf
// can embed it and that it has Chinese glyphs.
func LoadFont(path string) (*Font, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data, err := firstFont(raw)
	if err != nil {
		return nil, err
	}
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := pdf.AddTTFFontData("probe", data); err != nil {
		return nil, fmt.Errorf("parse font: %w", err)
	}
	if err := pdf.SetFont("probe", "", 10); err != nil {
		return nil, fmt.Errorf("use font: %w", err)
	}
	for _, r := range probeRunes {
		ok, err := pdf.IsCurrFontContainGlyph(r)
		if err != nil || !ok {
			return nil, fmt.Errorf("font has no glyph for %q", r)
		}
	}
	return &Font{Path: path, Data: data}, nil
}

// firstFont returns a TrueType font: raw itself, or the first font of a
// TrueType collection rewritten as a standalone file.
func firstFont(raw []byte) ([]byte, error) {
	if len(raw) < 12 {
		return nil, errors.New("not a font file (too short)")
	}
	switch string(raw[:4]) {
	case "\x00\x01\x00\x00", "true":
		return raw, nil
	case "OTTO":
		return nil, errors.New("CFF (OpenType/PostScript) outlines: gopdf embeds TrueType outlines only")
	case "ttcf":
	default:
		return nil, fmt.Errorf("not a TrueType font (signature %q)", raw[:4])
	}
	n := binary.BigEndian.Uint32(raw[8:12])
	if n == 0 || len(raw) < 16 {
		return nil, errors.New("empty font collection")
	}
	off := int(binary.BigEndian.Uint32(raw[12:16]))
	return extractSFNT(raw, off)
}

// extractSFNT copies the font whose table directory starts at off out of a
// collection, re-basing the table offsets.
func extractSFNT(raw []byte, off int) ([]byte, error) {
	if off+12 > len(raw) {
		return nil, errors.New("font collection: directory out of range")
	}
	switch string(raw[off : off+4]) {
	case "\x00\x01\x00\x00", "true":
	case "OTTO":
		return nil, errors.New("CFF (OpenType/PostScript) outlines: gopdf embeds TrueType outlines only")
	default:
		return nil, errors.New("font collection: first font is not TrueType")
	}
	numTables := int(binary.BigEndian.Uint16(raw[off+4 : off+6]))
	dirLen := 12 + 16*numTables
	if off+dirLen > len(raw) {
		return nil, errors.New("font collection: table directory out of range")
	}
	out := make([]byte, dirLen, len(raw))
	copy(out, raw[off:off+dirLen])
	for i := 0; i < numTables; i++ {
		rec := out[12+16*i : 12+16*i+16]
		tOff := int(binary.BigEndian.Uint32(rec[8:12]))
		tLen := int(binary.BigEndian.Uint32(rec[12:16]))
		if tOff < 0 || tLen < 0 || tOff+tLen > len(raw) {
			return nil, fmt.Errorf("font collection: table %q out of range", rec[:4])
		}
		binary.BigEndian.PutUint32(rec[8:12], uint32(len(out)))
		out = append(out, raw[tOff:tOff+tLen]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}
