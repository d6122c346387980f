// Package money is linewise's money: an Amount is an integer count of
// ten-thousandths (1e-4) of a currency unit, so sums are exact on every
// database and in JSON it is a decimal string ("1234.5000" reads back the
// same). Products of an amount and a quantity or a time are rounded once,
// half away from zero, with big integers: nothing here is ever a float.
// A Currency is an ISO 4217 code. It must never convert between currencies.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
)

// Scale is how many Amount units make one currency unit.
const Scale = 10000

// Digits is the number of decimals an Amount shows.
const Digits = 4

// Amount is a sum of money in 1e-4 of its currency's unit.
type Amount int64

// Parse reads a decimal string: an optional sign, digits, and at most four
// decimals ("12", "-0.5", "1234.5678"). No exponent, no grouping.
func Parse(s string) (Amount, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("is empty; give a decimal like 12.50")
	}
	neg := false
	switch t[0] {
	case '-':
		neg, t = true, t[1:]
	case '+':
		t = t[1:]
	}
	whole, frac, dot := strings.Cut(t, ".")
	if whole == "" && (!dot || frac == "") {
		return 0, fmt.Errorf("%q is not a decimal", s)
	}
	if len(frac) > Digits {
		return 0, fmt.Errorf("%q has more than %d decimals", s, Digits)
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal (digits and one point only)", s)
		}
	}
	frac += strings.Repeat("0", Digits-len(frac))
	var v big.Int
	if _, ok := v.SetString(strings.TrimLeft(whole+frac, "0")+"0", 10); !ok {
		return 0, fmt.Errorf("%q is not a decimal", s)
	}
	v.Quo(&v, big.NewInt(10)) // the appended 0 keeps an all-zero string parseable
	if !v.IsInt64() || v.Int64() > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	a := Amount(v.Int64())
	if neg {
		a = -a
	}
	return a, nil
}

// String is the amount with four decimals ("-12.5000").
func (a Amount) String() string {
	sign := ""
	u := uint64(a)
	if a < 0 {
		sign, u = "-", uint64(-a)
	}
	return fmt.Sprintf("%s%d.%04d", sign, u/Scale, u%Scale)
}

// MarshalJSON writes the decimal string.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON takes a decimal string (a JSON number is refused: it
// invites floats upstream).
//
// Its errors are *json.UnmarshalTypeError, so a decoder names the field.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: "not a string", Type: reflect.TypeFor[Amount]()}
	}
	v, err := Parse(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: err.Error(), Type: reflect.TypeFor[Amount]()}
	}
	*a = v
	return nil
}

// MulDiv is a × num / den rounded half away from zero; den must not be 0.
// It saturates at the int64 range (an amount that large means bad input).
func MulDiv(a Amount, num, den int64) Amount {
	if den == 0 {
		return 0
	}
	var p, q, r big.Int
	p.Mul(big.NewInt(int64(a)), big.NewInt(num))
	d := big.NewInt(den)
	q.QuoRem(&p, d, &r)
	// round half away from zero: |2r| >= |den|
	r.Abs(&r)
	r.Lsh(&r, 1)
	if r.Cmp(new(big.Int).Abs(d)) >= 0 {
		if p.Sign()*d.Sign() < 0 {
			q.Sub(&q, big.NewInt(1))
		} else {
			q.Add(&q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		if q.Sign() < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return Amount(q.Int64())
}

// ValidCurrency checks an ISO 4217 code: three capital letters.
func ValidCurrency(c string) error {
	if len(c) != 3 || strings.ToUpper(c) != c || strings.IndexFunc(c, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return fmt.Errorf("%q is not an ISO 4217 currency code (three capital letters, e.g. CNY, EUR, USD)", c)
	}
	return nil
}
