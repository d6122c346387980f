package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPurchasingKeys: the defaults, and each bad key named with its line.
func TestPurchasingKeys(t *testing.T) {
	d := DefaultConfig().Purchasing
	if d.Currency != "CNY" || d.ApprovalLimits["buyer"] != "50000" || d.ApprovalLimits["manager"] != "unlimited" || d.ReceiptTolerancePct != 5 {
		t.Fatalf("defaults %+v", d)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	body := "purchasing:\n  currency: cny\n  approval_limits:\n    buyer: lots\n    boss: \"1\"\n  exchange_rates:\n    USD: \"-1\"\n  receipt_tolerance_pct: 300\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	for _, want := range []string{
		":2: purchasing.currency:",
		":4: purchasing.approval_limits.buyer:",
		":5: purchasing.approval_limits.boss: \"boss\" is not a role",
		":7: purchasing.exchange_rates.USD:",
		":8: purchasing.receipt_tolerance_pct: 300 must be a percentage from 0 to 100",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if err := os.WriteFile(path, []byte("purchasing:\n  approval_limits:\n    buyer: \"1000\"\n    planner: \"200.50\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil || cfg.Purchasing.ApprovalLimits["buyer"] != "1000" || cfg.Purchasing.ApprovalLimits["manager"] != "unlimited" ||
		cfg.Purchasing.ApprovalLimits["planner"] != "200.50" {
		t.Fatalf("limits %+v %v", cfg.Purchasing.ApprovalLimits, err)
	}
}
