package httpapi

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QRSVG renders text as a QR code (error correction M, the 4-module quiet
// zone included) in SVG, module px per module. The modules come from
// go-qrcode's Bitmap; each dark run of a row is one rect, so the printout
// stays crisp at any zoom and the file small.
func QRSVG(text string, module int) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("qr code for %q: %w", text, err)
	}
	bm := q.Bitmap()
	var rects strings.Builder
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&rects, `<rect x="%d" y="%d" width="%d" height="%d"/>`, start*module, y*module, (x-start)*module, module)
		}
	}
	size := len(bm) * module
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="QR code %s" shape-rendering="crispEdges">`+
		`<rect width="100%%" height="100%%" fill="#fff"/><g fill="#000">%s</g></svg>`,
		size, size, size, size, xmlEscape(text), rects.String()), nil
}
