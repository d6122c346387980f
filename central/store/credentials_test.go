package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestBadgesHashedAtRest: badge codes stored before migration 0290 are
// replaced by keyed hashes when the store opens; from then on no table
// holds a code (users, events of fixed scanners, scan results), a badge
// is still found by its code in one lookup, and every read path shows the
// operator's name instead.
func TestBadgesHashedAtRest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		old, err := open(ctx, db.driver, db.dsn, 250)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.db.ExecContext(ctx, old.q(`INSERT INTO users (username, display_name, role, password_hash, badge, disabled, created_at)
			VALUES (?, ?, ?, '', ?, 0, 0)`), "op1", "Olga Operator", "operator", "B-1001"); err != nil {
			t.Fatal(err)
		}
		// The audit trail of that time recorded the code.
		if err := old.writeAudit(ctx, old.db, domain.AuditEntry{Actor: "admin", Entity: "user", EntityID: "op1", Action: "create",
			After: []byte(`{"username":"op1","role":"operator","badge":"B-1001"}`)}); err != nil {
			t.Fatal(err)
		}
		old.Close()
		s := db.open(t)
		var stored string
		if err := s.db.QueryRowContext(ctx, `SELECT badge FROM users WHERE username = 'op1'`).Scan(&stored); err != nil || !domain.IsBadgeHash(stored) {
			t.Fatalf("after upgrade users.badge = %q (%v), want a hash", stored, err)
		}
		if u, err := s.UserByBadge(ctx, "B-1001"); err != nil || u.Username != "op1" || !u.HasBadge {
			t.Fatalf("badge lookup after upgrade: %+v %v", u, err)
		}
		if _, err := s.UserByBadge(ctx, "B-1002"); err == nil {
			t.Fatal("another code finds the user")
		}
		var after string
		if err := s.db.QueryRowContext(ctx, `SELECT after_json FROM audit_log WHERE entity_id = 'op1'`).Scan(&after); err != nil ||
			strings.Contains(after, "B-1001") || !strings.Contains(after, `"badge":true`) || !strings.Contains(after, `"username":"op1"`) {
			t.Fatalf("audit entry after upgrade: %s %v", after, err)
		}
		// A second open (another replica) changes nothing.
		s2 := db.open(t)
		if u, err := s2.UserByBadge(ctx, "B-1001"); err != nil || u.Username != "op1" {
			t.Fatalf("second open: %+v %v", u, err)
		}
		// A new user's badge is hashed on the way in.
		if err := s.CreateUser(ctx, domain.User{Username: "op2", Role: domain.RoleOperator, Badge: "B-2002"}, domain.Actor{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, domain.User{Username: "op3", Role: domain.RoleOperator, Badge: "B-2002"}, domain.Actor{Name: "t"}); err == nil {
			t.Fatal("a second user got the same badge")
		}
		// A fixed scanner's badge scan is stored with the hash.
		if err := s.CreateLine(ctx, domain.Line{ID: "L1", Name: "L1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
			{EdgeID: "e1", Seq: 1, Line: "L1", Type: wire.TypeScan, SourceTime: t0, Scan: &wire.Scan{Station: "ST-L1", Code: "B-2002"}},
			{EdgeID: "e1", Seq: 2, Line: "L1", Type: wire.TypeScan, SourceTime: t0, Scan: &wire.Scan{Station: "ST-L1", Code: "WO-1", Operator: "B-1001"}},
		}}); err != nil {
			t.Fatal(err)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT payload FROM events ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		var payloads []string
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			payloads = append(payloads, p)
		}
		rows.Close()
		all := strings.Join(payloads, "\n")
		if len(payloads) != 2 || strings.Contains(all, "B-2002") || strings.Contains(all, "B-1001") || strings.Count(all, domain.BadgeHashPrefix) != 2 {
			t.Fatalf("stored payloads hold a code: %s", all)
		}
		// The applier finds the user by the stored hash.
		var sc domain.PendingScan
		_, _, ok, err := s.ApplyNextScan(ctx, "L1", func(tx domain.ScanTx, p domain.PendingScan) (domain.ScanRecord, error) {
			sc = p
			u, err := tx.UserByBadge(p.Code)
			if err != nil || u.Username != "op2" {
				t.Errorf("applier badge lookup: %+v %v", u, err)
			}
			return domain.ScanRecord{Result: domain.ScanApplied, Action: "login", Actor: u.Username}, nil
		})
		if err != nil || !ok {
			t.Fatalf("apply: %v %v", ok, err)
		}
		list, err := s.StationScans(ctx, "ST-L1", 10)
		if err != nil || len(list) != 1 || list[0].Code != BadgeShown || sc.Code == "B-2002" {
			t.Fatalf("station scans: %v %+v", err, list)
		}
		var code string
		if err := s.db.QueryRowContext(ctx, `SELECT code FROM scan_results`).Scan(&code); err != nil || code != BadgeShown {
			t.Fatalf("scan_results.code = %q (%v)", code, err)
		}
		evs, err := s.LatestEvents(ctx, "L1", 10)
		if err != nil {
			t.Fatal(err)
		}
		var shown []string
		for _, e := range evs {
			shown = append(shown, string(e.Payload))
		}
		got := strings.Join(shown, "\n")
		if strings.Contains(got, domain.BadgeHashPrefix) || !strings.Contains(got, `"operator":"op2"`) || !strings.Contains(got, `"operator":"Olga Operator"`) {
			t.Fatalf("events as read: %s", got)
		}
	})
}

// TestBadgePepper: with a pepper (kept outside the database) the stored
// hash differs from the one without, badges work as long as the pepper
// stays, and central refuses to open with another pepper (or none) while
// users have badges, instead of letting every badge stop working.
func TestBadgePepper(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		pepper := Options{BadgePepper: []byte("0123456789abcdef-outside-the-db")}
		s, err := OpenWith(ctx, db.driver, db.dsn, pepper)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, domain.User{Username: "op1", Role: domain.RoleOperator, Badge: "B-1"}, domain.Actor{Name: "t"}); err != nil {
			t.Fatal(err)
		}
		var withPepper string
		if err := s.db.QueryRowContext(ctx, `SELECT badge FROM users`).Scan(&withPepper); err != nil {
			t.Fatal(err)
		}
		s.Close()
		for _, o := range []Options{{}, {BadgePepper: []byte("another-pepper-of-16-bytes")}} {
			if s, err := OpenWith(ctx, db.driver, db.dsn, o); err == nil || !strings.Contains(err.Error(), "badge pepper differs") {
				if s != nil {
					s.Close()
				}
				t.Fatalf("opened with pepper %q: %v", o.BadgePepper, err)
			}
		}
		s, err = OpenWith(ctx, db.driver, db.dsn, pepper)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if u, err := s.UserByBadge(ctx, "B-1"); err != nil || u.Username != "op1" {
			t.Fatalf("badge with the same pepper: %+v %v", u, err)
		}
		if s.badgeHash("B-1") != withPepper {
			t.Fatal("hash changed across opens")
		}
		// The database's key alone gives another hash: a copy of the
		// database cannot test guesses against the stored one.
		var dbKey string
		if err := s.db.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = 'badge_key'`).Scan(&dbKey); err != nil {
			t.Fatal(err)
		}
		key, _ := hex.DecodeString(dbKey)
		if (&Store{badgeKey: key}).badgeHash("B-1") == withPepper {
			t.Fatal("the pepper changed nothing")
		}
	})
}

// BenchmarkUserByBadge: a badge scan's lookup (HMAC + one indexed query)
// among 10,000 users with badges, on SQLite.
func BenchmarkUserByBadge(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, DriverSQLite, SQLiteDSN(b.TempDir()+"/c.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (username, role, badge, created_at) VALUES (?, 'operator', ?, 0)`,
			fmt.Sprintf("op%d", i), s.badgeHash(fmt.Sprintf("B-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.UserByBadge(ctx, fmt.Sprintf("B-%d", i%10000)); err != nil {
			b.Fatal(err)
		}
	}
}
