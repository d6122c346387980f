package httpapi

import (
	"fmt"
	"strings"
)

// code128Widths are the bar/space widths in modules of Code 128 values
// 0-106 (ISO/IEC 15417), bar first; 106 is the stop with its final bar.
var code128Widths = [107]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
	"221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
	"221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
	"212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
	"231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
	"314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
	"112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
	"214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
	"114131", "311141", "411131", "211412", "211214", "211232", "2331112",
}

const (
	code128StartB = 104
	code128Stop   = 106
)

// code128B returns the symbol values of text in code set B with start,
// checksum and stop. Only printable ASCII (32-126) is encodable.
func code128B(text string) ([]int, error) {
	vals := []int{code128StartB}
	sum := code128StartB
	for i, r := range text {
		if r < 32 || r > 126 {
			return nil, fmt.Errorf("code 128: character %q at %d is not printable ASCII", r, i)
		}
		v := int(r) - 32
		vals = append(vals, v)
		sum += v * len(vals[1:])
	}
	return append(vals, sum%103, code128Stop), nil
}

// Code128SVG renders text as a Code 128 (set B) barcode in SVG, with a
// 10-module quiet zone each side, module px wide and height px tall.
func Code128SVG(text string, module, height int) (string, error) {
	vals, err := code128B(text)
	if err != nil {
		return "", err
	}
	const quiet = 10
	var bars strings.Builder
	x := quiet
	for _, v := range vals {
		for i, w := range code128Widths[v] {
			n := int(w - '0')
			if i%2 == 0 {
				fmt.Fprintf(&bars, `<rect x="%d" y="0" width="%d" height="%d"/>`, x*module, n*module, height)
			}
			x += n
		}
	}
	width := (x + quiet) * module
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="barcode %s">`+
		`<rect width="100%%" height="100%%" fill="#fff"/><g fill="#000">%s</g></svg>`,
		width, height, width, height, xmlEscape(text), bars.String()), nil
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
