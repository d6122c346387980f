package inventory

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestSerials: bracket P becomes serial-tracked with prefix SN-. WO-1's
// station scans SN-A1 and SN-000002, then generates three (SN-000001,
// SN-000003, SN-000004: the scanned one is skipped). A serial scanned twice,
// one without the prefix, and any serial once P is no longer tracked are
// refused, writing nothing. The serial's backward trace shows the strip its
// work order consumed — before the finished lot exists (from the work
// order) and after (from lot FG-WO-1, which the serial then belongs to).
func TestSerials(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		op := domain.Actor{Name: "op", Role: domain.RoleOperator}
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "A", Material: "M", SupplierLot: "MILL-9", Quantity: q(100), To: "LS-L1"})

		if _, err := x.inv.SetSerialConfig(x.ctx, domain.SerialConfig{Product: "P", Tracked: true}, admin); !isField(err, "prefix") {
			t.Errorf("tracked without a prefix: %v", err)
		}
		cfg, err := x.inv.SetSerialConfig(x.ctx, domain.SerialConfig{Product: "P", Tracked: true, Prefix: "SN-"}, admin)
		x.must(err)
		if got, err := x.inv.SerialConfig(x.ctx, "P"); err != nil || !got.Tracked || got.Prefix != "SN-" || got.Next != 1 || cfg != got {
			t.Errorf("config: %+v %+v %v", cfg, got, err)
		}

		t0 := time.Now().UTC().Add(-time.Hour)
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-1", t0, op, "start"); err != nil {
			t.Fatal(err)
		}
		if _, err := x.st.ApplyBatch(x.ctx, wire.Batch{EdgeID: "E1", Events: []wire.Event{{EdgeID: "E1", Seq: 1, Line: "L1", Type: wire.TypeCount,
			SourceTime: t0.Add(time.Minute), Count: &wire.Count{Counter: "c", Good: 4}}}}); err != nil {
			t.Fatal(err)
		}
		got, err := x.inv.RegisterSerials(x.ctx, "WO-1", domain.SerialRequest{Serials: []string{"SN-A1", "SN-000002"}, Station: "ST-L1"}, op)
		x.must(err)
		if len(got) != 2 || got[0].Serial != "SN-A1" || got[0].Source != domain.SerialScanned || got[0].Order != "PO-1" || got[0].Line != "L1" || got[0].Lot != "" {
			t.Errorf("scanned: %+v", got)
		}
		got, err = x.inv.RegisterSerials(x.ctx, "WO-1", domain.SerialRequest{Generate: 3}, op)
		x.must(err)
		if len(got) != 3 || got[0].Serial != "SN-000001" || got[1].Serial != "SN-000003" || got[2].Serial != "SN-000004" || got[2].Source != domain.SerialGenerated {
			t.Errorf("generated: %+v", got)
		}
		for _, c := range []struct {
			req   domain.SerialRequest
			field string
			rule  string
		}{
			{domain.SerialRequest{Serials: []string{"SN-B1", "SN-A1"}}, "serials[1]", "serial SN-A1 already belongs to work order WO-1"},
			{domain.SerialRequest{Serials: []string{"XX-1"}}, "serials[0]", "serial XX-1 does not start with SN-"},
			{domain.SerialRequest{Serials: []string{"SN 1"}}, "serials[0]", "must be 1-60 letters"},
			{domain.SerialRequest{Generate: 1001}, "generate", "from 1 to 1000"},
			{domain.SerialRequest{}, "serials", "give the scanned serials"},
		} {
			_, err := x.inv.RegisterSerials(x.ctx, "WO-1", c.req, op)
			var fe *domain.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Rule, c.rule) {
				t.Errorf("%+v: %v; want %s: %s", c.req, err, c.field, c.rule)
			}
		}
		if _, err := x.inv.GetSerial(x.ctx, "SN-B1"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("SN-B1 of a refused registration: %v", err)
		}
		list, err := x.inv.ListSerials(x.ctx, "WO-1", "", 100)
		x.must(err)
		if len(list) != 5 {
			t.Errorf("serials of WO-1: %+v", list)
		}
		if cfg, _ := x.inv.SerialConfig(x.ctx, "P"); cfg.Next != 5 {
			t.Errorf("next after generating: %+v", cfg)
		}

		// Before the finished lot: the trace starts at the work order.
		tree, err := x.inv.BackwardSerial(x.ctx, "SN-A1")
		x.must(err)
		if tree.Serial != "SN-A1" || tree.Lot != "" || tree.WorkOrder != "WO-1" || tree.Order != "PO-1" || len(tree.Children) != 1 ||
			tree.Children[0].Lot != "A" || tree.Children[0].SupplierLot != "MILL-9" || tree.Children[0].Quantity != q(2) {
			t.Errorf("serial trace before the lot: %+v", tree)
		}
		x.complete("PO-1", "WO-1", t0.Add(2*time.Minute))
		s, err := x.inv.GetSerial(x.ctx, "SN-000003")
		x.must(err)
		if s.Lot != "FG-WO-1" || s.WorkOrder != "WO-1" || s.Actor != "op" {
			t.Errorf("serial after completion: %+v", s)
		}
		inLot, err := x.inv.LotSerials(x.ctx, "FG-WO-1", "", 100)
		x.must(err)
		if len(inLot) != 5 || inLot[0].Serial != "SN-000001" || inLot[0].Lot != "FG-WO-1" {
			t.Errorf("serials of FG-WO-1: %+v", inLot)
		}
		tree, err = x.inv.BackwardSerial(x.ctx, "SN-A1")
		x.must(err)
		if tree.Serial != "SN-A1" || tree.Lot != "FG-WO-1" || len(tree.Children) != 1 || tree.Children[0].Lot != "A" {
			t.Errorf("serial trace after the lot: %+v", tree)
		}

		audit, err := x.st.ListAudit(x.ctx, domain.AuditFilter{Entity: "work_order", EntityID: "WO-1"})
		x.must(err)
		n := 0
		for _, a := range audit {
			if a.Action == "serials" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d serial registrations audited, want 2", n)
		}
		// No longer tracked: no more serials; the old ones stay.
		_, err = x.inv.SetSerialConfig(x.ctx, domain.SerialConfig{Product: "P"}, admin)
		x.must(err)
		if _, err := x.inv.RegisterSerials(x.ctx, "WO-1", domain.SerialRequest{Generate: 1}, op); !isField(err, "work_order") ||
			!strings.Contains(err.Error(), "not serial-tracked") {
			t.Errorf("untracked: %v", err)
		}
		if _, err := x.inv.GetSerial(x.ctx, "SN-A1"); err != nil {
			t.Errorf("SN-A1 after untracking: %v", err)
		}
	})
}

func isField(err error, field string) bool {
	var fe *domain.FieldError
	return errors.As(err, &fe) && fe.Field == field
}
