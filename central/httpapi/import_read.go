package httpapi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// table is an import file read into rows of text cells: the header, then
// each non-empty row with its number in the file (the header is 1).
type table struct {
	header []string
	rows   []tableRow
	// format says what was read: "csv (utf-8)", "csv (gb18030)", "xlsx".
	format string
	xlsx   bool
}

type tableRow struct {
	line  int
	cells []string
}

// readTable reads an import body: XLSX by its Content-Type or its ZIP
// magic (the first sheet), else CSV. A CSV's encoding is the Content-Type's
// charset if it names one, else detected: UTF-8 (with or without a byte
// order mark), UTF-16 with a byte order mark, GB18030 (what a Chinese
// Excel saves as "CSV"), else Windows-1252 (Latin-1). A body over
// maxImportBytes is a 413.
func readTable(c echo.Context, name string, required []string) (*table, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, params, _ := mime.ParseMediaType(ct)
	switch mt {
	case "text/csv", "application/csv", xlsxType, "application/octet-stream":
	default:
		return nil, &Problem{Status: http.StatusUnsupportedMediaType, Field: "Content-Type",
			Detail: "send the file as text/csv or " + xlsxType}
	}
	body, err := readBody(c, maxImportBytes)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(body, []byte("PK\x03\x04")) {
		return readXLSXTable(body, name, required)
	}
	if mt == xlsxType {
		return nil, invalid("body", "the body is not an XLSX file (no ZIP signature)")
	}
	text, enc, err := decodeCSV(body, params["charset"])
	if err != nil {
		return nil, err
	}
	t, err := readCSV(text, name, required)
	if t != nil {
		t.format = "csv (" + enc + ")"
	}
	return t, err
}

// decodeCSV turns body into UTF-8 text without a byte order mark and says
// which encoding it was in.
func decodeCSV(body []byte, charset string) (string, string, error) {
	var enc encoding.Encoding
	name := strings.ToLower(charset)
	switch name {
	case "":
	case "utf-8", "utf8":
	case "gb18030", "gbk", "gb2312":
		enc, name = simplifiedchinese.GB18030, "gb18030"
	case "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		enc, name = charmap.Windows1252, "windows-1252"
	case "utf-16", "utf-16le":
		enc, name = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "utf-16"
	case "utf-16be":
		enc, name = unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "utf-16"
	default:
		return "", "", invalid("Content-Type", fmt.Sprintf("charset %q is not one of utf-8, gb18030 (gbk), windows-1252 (latin1), utf-16", charset))
	}
	if name == "" {
		name, enc = detectCharset(body)
	}
	if enc != nil {
		out, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return "", "", invalid("body", "the file is not "+name+" text: "+err.Error())
		}
		body = out
	}
	if !utf8.Valid(body) {
		return "", "", invalid("body", fmt.Sprintf("the file is not valid UTF-8 (at byte %d); save it as CSV UTF-8, or name its charset in the Content-Type",
			firstInvalidUTF8(body)))
	}
	return strings.TrimPrefix(string(body), "\ufeff"), name, nil
}

// detectCharset guesses a CSV's encoding: a byte order mark decides, valid
// UTF-8 is UTF-8, text whose bytes above 0x7F decode as GB18030 with both
// bytes of most two-byte characters in the GB2312 range (0xA1-0xFE, where
// common Chinese characters are) is GB18030, anything else Windows-1252.
func detectCharset(b []byte) (string, encoding.Encoding) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}), utf8.Valid(b):
		return "utf-8", nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "utf-16", unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "utf-16", unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	}
	pairs, gb2312 := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		if c == 0x80 || c == 0xFF || i+1 >= len(b) {
			return "windows-1252", charmap.Windows1252
		}
		d := b[i+1]
		switch {
		case d >= 0x30 && d <= 0x39: // four-byte GB18030 sequence
			if i+3 >= len(b) || b[i+2] < 0x81 || b[i+2] > 0xFE || b[i+3] < 0x30 || b[i+3] > 0x39 {
				return "windows-1252", charmap.Windows1252
			}
			i += 3
		case d >= 0x40 && d <= 0xFE && d != 0x7F:
			pairs++
			if c >= 0xA1 && d >= 0xA1 {
				gb2312++
			}
			i++
		default:
			return "windows-1252", charmap.Windows1252
		}
	}
	if pairs > 0 && gb2312*10 < pairs*9 {
		return "windows-1252", charmap.Windows1252
	}
	return "gb18030", simplifiedchinese.GB18030
}

func readCSV(text, name string, required []string) (*table, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1 // a short or long row is that row's error, not the file's
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, invalid("header", "the file is empty; the first line names the columns: "+name+"("+strings.Join(required, ",")+")")
	}
	if err != nil {
		return nil, invalid("header", "the header line is not CSV: "+err.Error())
	}
	t := &table{header: header}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, invalid("body", fmt.Sprintf("line %d is not valid CSV: %v", pe.StartLine, pe.Err))
			}
			return nil, invalid("body", "the file cannot be read: "+err.Error())
		}
		line, _ := r.FieldPos(0)
		if len(t.rows) >= maxImportRows {
			return nil, tooManyRows()
		}
		t.rows = append(t.rows, tableRow{line: line, cells: rec})
	}
}

func tooManyRows() error {
	return &Problem{Status: http.StatusRequestEntityTooLarge, Field: "body", Detail: fmt.Sprintf("at most %d rows per import", maxImportRows)}
}

// readXLSXTable reads the workbook's first sheet: row 1 is the header; empty
// rows are skipped; cells are their displayed text (a date is as its
// number format shows it, so format date columns yyyy-mm-dd or type them
// as text).
func readXLSXTable(body []byte, name string, required []string) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(body), excelize.Options{UnzipSizeLimit: 8 * maxImportBytes, UnzipXMLSizeLimit: maxImportBytes})
	if err != nil {
		return nil, invalid("body", "the file is not a readable XLSX workbook: "+err.Error())
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, invalid("body", "the workbook has no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, invalid("body", "sheet "+sheets[0]+" cannot be read: "+err.Error())
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, invalid("header", "sheet "+sheets[0]+" is empty; its first row names the columns: "+name+"("+strings.Join(required, ",")+")")
	}
	t := &table{header: rows[0], format: "xlsx", xlsx: true}
	for i, cells := range rows[1:] {
		if strings.TrimSpace(strings.Join(cells, "")) == "" {
			continue
		}
		if len(t.rows) >= maxImportRows {
			return nil, tooManyRows()
		}
		// A spreadsheet drops empty cells at a row's end: pad them back.
		for len(cells) < len(t.header) {
			cells = append(cells, "")
		}
		t.rows = append(t.rows, tableRow{line: i + 2, cells: cells})
	}
	return t, nil
}
