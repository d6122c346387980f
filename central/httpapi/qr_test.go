package httpapi

import (
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/linewise/linewise/central/domain"
)

var (
	svgSize = regexp.MustCompile(`^<svg [^>]*width="(\d+)" height="(\d+)"`)
	svgRect = regexp.MustCompile(`<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/>`)
)

// rasterize paints an SVG made of black rects on white into an image, so a
// decoder can read exactly what the page embeds.
func rasterize(t *testing.T, svg string) *image.Gray {
	t.Helper()
	m := svgSize.FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no svg size in %.80s", svg)
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	img := image.NewGray(image.Rect(0, 0, atoi(m[1]), atoi(m[2])))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, r := range svgRect.FindAllStringSubmatch(svg, -1) {
		x, y, w, h := atoi(r[1]), atoi(r[2]), atoi(r[3]), atoi(r[4])
		for yy := y; yy < y+h; yy++ {
			for xx := x; xx < x+w; xx++ {
				img.SetGray(xx, yy, color.Gray{})
			}
		}
	}
	return img
}

// TestTravelerQRCode: the traveler embeds the QR code of the work order's
// barcode as go-qrcode draws it, and a QR decoder reads the barcode back
// from the embedded SVG.
func TestTravelerQRCode(t *testing.T) {
	e := newEnv(t)
	n := e.draft("P")
	e.force(n, domain.StatusReleased)
	id := domain.WorkOrderID(n, 10)
	w, err := e.st.GetWorkOrder(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/work-orders/"+id+"/traveler", nil)
	if res.StatusCode != 200 {
		t.Fatalf("traveler: %d %s", res.StatusCode, body)
	}
	page := string(body)
	_, rest, ok := strings.Cut(page, `<div class="qr">`)
	svg, _, ok2 := strings.Cut(rest, `</div>`)
	if !ok || !ok2 || !strings.HasPrefix(svg, "<svg") {
		t.Fatalf("no QR code on the traveler:\n%s", page)
	}
	want, err := QRSVG(w.Barcode, 4)
	if err != nil {
		t.Fatal(err)
	}
	if svg != want {
		t.Errorf("embedded QR differs from QRSVG(%q)", w.Barcode)
	}
	if !strings.Contains(svg, `aria-label="QR code `+w.Barcode+`"`) {
		t.Errorf("QR label missing: %.200s", svg)
	}

	// Module for module the library's symbol.
	q, err := qrcode.New(w.Barcode, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	img := rasterize(t, svg)
	for y, row := range q.Bitmap() {
		for x, dark := range row {
			if got := img.GrayAt(x*4+2, y*4+2).Y == 0; got != dark {
				t.Fatalf("module (%d,%d) dark=%v, library says %v", x, y, got, dark)
			}
		}
	}

	// And a decoder reads the barcode back.
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the traveler's QR code: %v", err)
	}
	if got.GetText() != w.Barcode {
		t.Errorf("QR code reads %q, want %q", got.GetText(), w.Barcode)
	}
}

// TestQRSVGRoundTrip: values with characters that need escaping in SVG
// still decode to themselves.
func TestQRSVGRoundTrip(t *testing.T) {
	for _, v := range []string{"WO-1001-10", `A&B <"x">`, strings.Repeat("LONG-", 30)} {
		svg, err := QRSVG(v, 3)
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(rasterize(t, svg))
		if err != nil {
			t.Fatal(err)
		}
		got, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if got.GetText() != v {
			t.Errorf("%q decoded as %q", v, got.GetText())
		}
	}
}
