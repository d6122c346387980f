package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Money is an amount in ten-thousandths of a currency unit: 12.5 CNY is
// Money(125000). Prices need more than cents (a price per gram); totals
// are shown to the cent. JSON carries it as a decimal string ("12.50"),
// never a float.
type Money int64

// MoneyScale is how many Money make one currency unit.
const MoneyScale = 10000

// MaxMoney bounds one amount: a hundred billion currency units.
const MaxMoney Money = 100_000_000_000 * MoneyScale

// String writes m with at least two and at most four decimals.
func (m Money) String() string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := strconv.FormatInt(int64(m/MoneyScale), 10)
	f := strings.TrimRight(fmt.Sprintf("%04d", int64(m%MoneyScale)), "0")
	for len(f) < 2 {
		f += "0"
	}
	s += "." + f
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes m as a decimal string.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(`"` + m.String() + `"`), nil }

// UnmarshalJSON reads a decimal string or number with at most four
// decimals, exactly.
func (m *Money) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(b), `"`))
	v, err := ParseMoney(s)
	if err != nil {
		// A type error: the JSON decoder names the field in it.
		return &json.UnmarshalTypeError{Value: "amount " + strconv.Quote(s), Type: reflect.TypeFor[Money]()}
	}
	*m = v
	return nil
}

// ParseMoney reads "12", "12.5" or "0.0125" (at most four decimals, at
// most MaxMoney, not negative).
func ParseMoney(s string) (Money, error) {
	bad := fmt.Errorf("must be a decimal amount like \"12.50\" with at most 4 decimals, from 0 to %d", int64(MaxMoney/MoneyScale))
	whole, frac, dot := strings.Cut(s, ".")
	if !digits(whole) || len(whole) > 12 || dot && (!digits(frac) || len(frac) > 4) {
		return 0, bad
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt((frac + "000")[:4], 10, 64); err != nil {
			return 0, bad
		}
	}
	v := Money(w*MoneyScale + f)
	if v > MaxMoney {
		return 0, bad
	}
	return v, nil
}

// LineAmount is price (per base unit) × qty (thousandths), rounded half
// up to a ten-thousandth, exactly (big integers: no overflow, no float).
func LineAmount(price Money, qty Qty) Money {
	p := new(big.Int).Mul(big.NewInt(int64(price)), big.NewInt(int64(qty)))
	p.Add(p, big.NewInt(QtyScale/2))
	p.Quo(p, big.NewInt(QtyScale))
	if !p.IsInt64() || p.Int64() > int64(MaxMoney) {
		return MaxMoney
	}
	return Money(p.Int64())
}

// Convert turns m into another currency at rate (units of the other
// currency per unit of m's, in ten-thousandths), rounded half up.
func (m Money) Convert(rate Money) Money {
	p := new(big.Int).Mul(big.NewInt(int64(m)), big.NewInt(int64(rate)))
	p.Add(p, big.NewInt(MoneyScale/2))
	p.Quo(p, big.NewInt(MoneyScale))
	if !p.IsInt64() || p.Int64() > int64(MaxMoney) {
		return MaxMoney
	}
	return Money(p.Int64())
}
