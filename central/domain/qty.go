package domain

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Qty is a stock quantity in thousandths of a unit: 1.5 m is Qty(1500).
// Stock sums stay exact on both databases (BIGINT), and JSON carries it as
// a plain decimal number with at most three decimals.
type Qty int64

// QtyScale is how many Qty make one unit.
const QtyScale = 1000

// MaxStock bounds one movement's quantity and a material's unit factor
// product: a billion units.
const MaxStock Qty = MaxQuantity * QtyScale

// Units is q in whole and fractional units, for messages.
func (q Qty) String() string {
	neg := q < 0
	if neg {
		q = -q
	}
	s := strconv.FormatInt(int64(q/QtyScale), 10)
	if f := int64(q % QtyScale); f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%03d", f), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes q as a decimal number.
func (q Qty) MarshalJSON() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalJSON reads a JSON number with at most three decimals, exactly
// (no float rounding); anything else is refused.
func (q *Qty) UnmarshalJSON(b []byte) error {
	v, err := ParseQty(string(bytes.TrimSpace(b)))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// ParseQty reads "12", "-0.25" or "1.125" (at most three decimals, at
// most MaxStock in size).
func ParseQty(s string) (Qty, error) {
	bad := fmt.Errorf("must be a number with at most 3 decimals, at most %d in size", int64(MaxQuantity))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	if !digits(whole) || len(whole) > 10 || dot && (!digits(frac) || len(frac) > 3) {
		return 0, bad
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt((frac + "00")[:3], 10, 64)
		if err != nil {
			return 0, bad
		}
	}
	v := Qty(w*QtyScale + f)
	if v > MaxStock {
		return 0, bad
	}
	if neg {
		v = -v
	}
	return v, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
