package money

import (
	"encoding/json"
	"testing"
)

func TestParseAndFormat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Amount
		out  string
	}{{"12", 120000, "12.0000"}, {"-0.5", -5000, "-0.5000"}, {"1234.5678", 12345678, "1234.5678"}, {"0", 0, "0.0000"}, {".25", 2500, "0.2500"}, {"+3.1", 31000, "3.1000"}} {
		a, err := Parse(c.in)
		if err != nil || a != c.want || a.String() != c.out {
			t.Errorf("Parse(%q) = %d %q, %v; want %d %q", c.in, a, a.String(), err, c.want, c.out)
		}
	}
	for _, bad := range []string{"", "1e3", "1,000", "1.23456", "abc", "-", ".", "99999999999999999999"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	var a Amount
	if err := json.Unmarshal([]byte(`12.5`), &a); err == nil {
		t.Error("a JSON number was accepted")
	}
	if err := json.Unmarshal([]byte(`"12.5"`), &a); err != nil || a != 125000 {
		t.Errorf("unmarshal: %d %v", a, err)
	}
	if b, _ := json.Marshal(Amount(-125)); string(b) != `"-0.0125"` {
		t.Errorf("marshal: %s", b)
	}
}

func TestMulDivRoundsHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		a        Amount
		num, den int64
		want     Amount
	}{{100, 1, 3, 33}, {200, 1, 3, 67}, {5, 1, 2, 3}, {-5, 1, 2, -3}, {5, -1, 2, -3}, {1_000_000_000, 3_600_000_000_000, 3_600_000_000_000, 1_000_000_000}} {
		if got := MulDiv(c.a, c.num, c.den); got != c.want {
			t.Errorf("MulDiv(%d, %d, %d) = %d; want %d", c.a, c.num, c.den, got, c.want)
		}
	}
}
