package domain

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestQtyParseAndPrint(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Qty
		out  string
	}{
		{"12", 12000, "12"}, {"0.5", 500, "0.5"}, {"1.125", 1125, "1.125"}, {"-2.25", -2250, "-2.25"},
		{"0.001", 1, "0.001"}, {"1000000000", MaxStock, "1000000000"}, {"7.10", 7100, "7.1"},
	} {
		got, err := ParseQty(c.in)
		if err != nil || got != c.want || got.String() != c.out {
			t.Errorf("ParseQty(%q) = %d (%s), %v; want %d (%s)", c.in, got, got, err, c.want, c.out)
		}
	}
	for _, bad := range []string{"", "1.0001", "1e3", "abc", "1000000000.001", ".5", "1.", "--1", "1.-5", "+1", "0x10"} {
		if q, err := ParseQty(bad); err == nil {
			t.Errorf("ParseQty(%q) = %s; want an error", bad, q)
		}
	}
	var v struct{ Q Qty }
	if err := json.Unmarshal([]byte(`{"Q": 3.75}`), &v); err != nil || v.Q != 3750 {
		t.Errorf("JSON 3.75: %d %v", v.Q, err)
	}
	if b, _ := json.Marshal(v); string(b) != `{"Q":3.75}` {
		t.Errorf("JSON out: %s", b)
	}
}

func TestConvertNamesTheMissingConversion(t *testing.T) {
	cs := []UnitConversion{{Unit: "roll", Factor: 50}}
	if q, err := Convert("M", "m", 2500, "roll", cs); err != nil || q != 125000 {
		t.Errorf("2.5 roll: %s %v", q, err)
	}
	_, err := Convert("M", "m", 1000, "yd", cs)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "unit" || err.Error() != `material M has no conversion from "yd" to its base unit "m"; add one (PUT /api/v1/materials/M/units) or enter the quantity in m` {
		t.Errorf("yd: %v", err)
	}
}

func TestCheckMovementShape(t *testing.T) {
	for _, c := range []struct {
		m     MovementRequest
		field string
	}{
		{MovementRequest{Type: "teleport", Lot: "L", Quantity: 1}, "type"},
		{MovementRequest{Type: MoveIssue, Lot: "L", Quantity: 0, From: "A", WorkOrder: "W"}, "quantity"},
		{MovementRequest{Type: MoveIssue, Lot: "L", Quantity: -1, From: "A", WorkOrder: "W"}, "quantity"},
		{MovementRequest{Type: MoveIssue, Lot: "L", Quantity: 1, From: "A"}, "work_order"},
		{MovementRequest{Type: MoveIssue, Lot: "L", Quantity: 1, From: "A", WorkOrder: "W", Order: "O"}, "order"},
		{MovementRequest{Type: MoveTransfer, Lot: "L", Quantity: 1, From: "A", To: "A"}, "to"},
		{MovementRequest{Type: MoveAdjustment, Lot: "L", Quantity: 0, Location: "A", Reason: "x"}, "quantity"},
		{MovementRequest{Type: MoveAdjustment, Lot: "L", Quantity: -1, Location: "A"}, "reason"},
		{MovementRequest{Type: MoveShipment, Lot: "L", Quantity: 1, From: "A"}, "order"},
		{MovementRequest{Type: MoveReceipt, Lot: "bad lot", Quantity: 1, To: "A"}, "lot"},
		{MovementRequest{Type: MoveReceipt, Lot: "L", Quantity: MaxStock + 1, To: "A"}, "quantity"},
	} {
		err := CheckMovement(c.m)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v; want field %s", c.m, err, c.field)
		}
	}
	if err := CheckMovement(MovementRequest{Type: MoveAdjustment, Lot: "L", Quantity: -1, Location: "A", Reason: "count"}); err != nil {
		t.Errorf("negative adjustment: %v", err)
	}
}
