package inventory

import (
	"log/slog"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/scans"
	"github.com/linewise/linewise/edge/wire"
)

// TestFixedScannerLotAndSerial: a fixed scanner at ST-L1 (a line-side
// feeder) reads lot A while WO-1 runs on L1: central loads it — A's 10 m
// move from the warehouse to the line side, for WO-1. P is serial-tracked
// (prefix SN-): a code SN-5 read there, and SN-6 sent as a serial, are
// registered for WO-1. A code the scanner calls a lot that is none, a
// serial without the prefix, and a lot that is no component of P are
// rejected and change nothing.
func TestFixedScannerLotAndSerial(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		x.must(x.st.CreateStation(x.ctx, domain.Station{ID: "ST-L1", LineID: "L1"}))
		x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: "X", Name: "Other", Unit: "pcs"}))
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "A", Material: "M", Quantity: q(10), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "XL", Material: "X", Quantity: q(5), To: "WH-A"})
		_, err := x.inv.SetSerialConfig(x.ctx, domain.SerialConfig{Product: "P", Tracked: true, Prefix: "SN-"}, admin)
		x.must(err)
		t0 := time.Now().UTC().Add(-time.Hour)
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-1", t0, domain.Actor{Name: "op", Role: domain.RoleOperator}, "start"); err != nil {
			t.Fatal(err)
		}
		sc := func(seq uint64, code, action string) wire.Event {
			return wire.Event{EdgeID: "E1", Seq: seq, Line: "L1", Type: wire.TypeScan, SourceTime: t0.Add(time.Duration(seq) * time.Second),
				Scan: &wire.Scan{Station: "ST-L1", Code: code, Action: action}}
		}
		if _, err := x.st.ApplyBatch(x.ctx, wire.Batch{EdgeID: "E1", Events: []wire.Event{
			sc(1, "A", ""), sc(2, "SN-5", ""), sc(3, "SN-6", "serial"), sc(4, "NOLOT", "lot"), sc(5, "XX-6", "serial"), sc(6, "XL", ""),
		}}); err != nil {
			t.Fatal(err)
		}
		ap, err := scans.New(scans.Options{Store: x.st, Log: slog.New(slog.DiscardHandler), RepeatWindow: -1})
		x.must(err)
		if n, err := ap.RunOnce(x.ctx); err != nil || n != 6 {
			t.Fatalf("applied %d scans: %v", n, err)
		}
		recs, err := x.st.StationScans(x.ctx, "ST-L1", 10)
		x.must(err)
		got := map[uint64]domain.ScanRecord{}
		for _, r := range recs {
			got[r.Seq] = r
		}
		for seq, want := range map[uint64]struct {
			result domain.ScanOutcome
			action string
			msg    string
		}{
			1: {domain.ScanApplied, "load_lot", "loaded lot A (M) for WO-1: 10 m to LS-L1"},
			2: {domain.ScanApplied, "serial", "serial SN-5 registered for WO-1"},
			3: {domain.ScanApplied, "serial", "serial SN-6 registered for WO-1"},
			4: {domain.ScanRejected, "", "lot NOLOT does not exist"},
			5: {domain.ScanRejected, "", "serial XX-6 does not start with SN-, the prefix of P's serials"},
			6: {domain.ScanRejected, "", "lot XL is material X, not a component of P (work order WO-1)"},
		} {
			r := got[seq]
			if r.Result != want.result || r.Action != want.action || r.Message != want.msg {
				t.Errorf("scan %d: %s %q %q; want %s %q %q", seq, r.Result, r.Action, r.Message, want.result, want.action, want.msg)
			}
		}
		if x.stock("A", "LS-L1") != q(10) || x.stock("A", "WH-A") != 0 || x.stock("XL", "WH-A") != q(5) {
			t.Errorf("A at LS-L1 %s, at WH-A %s; XL %s", x.stock("A", "LS-L1"), x.stock("A", "WH-A"), x.stock("XL", "WH-A"))
		}
		list, err := x.inv.ListSerials(x.ctx, "WO-1", "", 10)
		x.must(err)
		if len(list) != 2 || list[0].Serial != "SN-5" || list[0].Station != "ST-L1" || list[1].Serial != "SN-6" {
			t.Errorf("serials: %+v", list)
		}
	})
}
