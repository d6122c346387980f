// Package store keeps central's state in SQL: the schema (embedded, numbered
// migrations applied at open), event ingest with deduplication and
// attribution, and the reads the HTTP API serves.
//
// Queries are written once with '?' placeholders and plain SQL that SQLite and
// PostgreSQL both accept (INSERT ... ON CONFLICT, no autoincrement, times as
// unix nanoseconds); rebind turns '?' into '$n' for PostgreSQL. The store
// must never hold domain rules beyond what keeps the data consistent.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	_ "modernc.org/sqlite"             // registers driver "sqlite"

	"github.com/linewise/linewise/central/domain"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Drivers Open accepts.
const (
	DriverSQLite = "sqlite"
	// DriverPostgres opens PostgreSQL through pgx's database/sql driver; the
	// DSN is a libpq URL or keyword/value string.
	DriverPostgres = "postgres"
)

// Store is central's database. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	postgres bool
	now      func() time.Time
	rules    domain.ExecutionRules // execution.go
	badgeKey []byte                // HMAC key of stored badges (credentials.go)
	hooks    *orderHooks           // run inside order changes (handle.go)

	woProducts *sync.Map // work order → product, for the rollups (rollups.go)
	noRollups  bool      // benchmarks only: ingest without rollups, for the ratio
}

// SQLiteDSN builds the DSN for a SQLite file: WAL so readers do not block the
// writer, a busy timeout instead of instant SQLITE_BUSY, and foreign keys on.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
}

// Open connects to the database and applies pending migrations.
func Open(ctx context.Context, driver, dsn string) (*Store, error) {
	return open(ctx, driver, dsn, 0)
}

// Options are what OpenWith takes beyond the database.
type Options struct {
	// BadgePepper, when set, is mixed into the key of stored badge hashes
	// (credentials.go): kept outside the database, it keeps a copy of the
	// database from revealing badge codes. It must not change while users
	// have badges; OpenWith refuses a different one then.
	BadgePepper []byte

	// skipMigration leaves one migration out (tests only: a database as a
	// version before it left it, with every later migration's columns, so
	// today's code can write the rows that migration repairs).
	skipMigration int
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, driver, dsn string, o Options) (*Store, error) {
	return openOpts(ctx, driver, dsn, 0, o)
}

// open applies migrations up to version upTo (0: all); tests use it to
// build an older schema and then upgrade it.
func open(ctx context.Context, driver, dsn string, upTo int) (*Store, error) {
	return openOpts(ctx, driver, dsn, upTo, Options{})
}

func openOpts(ctx context.Context, driver, dsn string, upTo int, o Options) (*Store, error) {
	var sqlDriver string
	switch driver {
	case DriverSQLite:
		sqlDriver = "sqlite"
	case DriverPostgres:
		sqlDriver = "pgx"
	default:
		return nil, fmt.Errorf("store: unknown driver %q", driver)
	}
	db, err := sql.Open(sqlDriver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", driver, err)
	}
	s := &Store{db: db, postgres: driver == DriverPostgres, now: time.Now, rules: domain.DefaultExecutionRules(), hooks: &orderHooks{}, woProducts: &sync.Map{}}
	if s.postgres {
		// Several central replicas may share the database; each keeps a
		// small pool and PostgreSQL arbitrates.
		db.SetMaxOpenConns(10)
		db.SetMaxIdleConns(5)
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// SQLite has one writer; a single connection serialises writes in Go
		// instead of in busy retries. Reads share it: fine at one site's volume.
		db.SetMaxOpenConns(1)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect %s: %w", driver, err)
	}
	s.noRollups = upTo != 0 && upTo < 460 // an old schema (tests) has no rollup tables
	if err := s.migrate(ctx, upTo, o.skipMigration); err != nil {
		db.Close()
		return nil, err
	}
	if upTo == 0 || upTo >= 290 {
		if err := s.loadBadgeKey(ctx, o.BadgePepper); err != nil {
			db.Close()
			return nil, err
		}
		if err := s.hashStoredBadges(ctx); err != nil {
			db.Close()
			return nil, err
		}
		if err := s.scrubAuditBadges(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if upTo == 0 || upTo >= 460 {
		if err := s.rebuildStateRollups(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// Driver is DriverSQLite or DriverPostgres.
func (s *Store) Driver() string {
	if s.postgres {
		return DriverPostgres
	}
	return DriverSQLite
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// q adapts a query written with '?' placeholders to the database.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	return rebind(query)
}

// rebind turns '?' placeholders into PostgreSQL's '$1', '$2', ...
// Our queries carry no '?' inside string literals.
func rebind(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

type migration struct {
	version int
	name    string
	sql     string
}

// Dialect markers: a migration line ending in one of these is kept only for
// that database. Prefer portable SQL; this exists for the rare statement
// that cannot be written once, so the migration stays one file.
const (
	onlySQLite   = "-- only:sqlite"
	onlyPostgres = "-- only:postgres"
)

// forDialect drops the lines marked for the other database.
func forDialect(body string, postgres bool) string {
	drop := onlyPostgres
	if postgres {
		drop = onlySQLite
	}
	if !strings.Contains(body, drop) {
		return body
	}
	lines := strings.Split(body, "\n")
	out := lines[:0]
	for _, l := range lines {
		if strings.HasSuffix(strings.TrimRight(l, " \t\r"), drop) {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("store: migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// migrate applies, each in its own transaction, every migration up to upTo
// (0: all) not yet recorded in schema_migrations. Several centrals may start
// at once on one PostgreSQL: each transaction first takes an advisory lock
// (per schema) and re-reads schema_migrations under it, so a migration is
// applied once and the others skip it. On SQLite the write lock does the same.
func (s *Store) migrate(ctx context.Context, upTo, skip int) error {
	if err := s.inMigrationTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if upTo > 0 && m.version > upTo {
			break
		}
		if m.version == skip {
			continue
		}
		if err := s.inMigrationTx(ctx, func(tx *sql.Tx) error { return s.apply(ctx, tx, m) }); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// migrationLockKey is the first half of the advisory lock key; the second
// is a hash of the schema, so replicas of different installs sharing one
// PostgreSQL (and parallel tests) do not wait on each other.
const migrationLockKey = 0x4c57 // "LW"

func (s *Store) inMigrationTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, migrationLockKey); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) apply(ctx context.Context, tx *sql.Tx, m migration) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if n > 0 {
		return nil // applied earlier, or just now by another starter
	}
	if _, err := tx.ExecContext(ctx, forDialect(m.sql, s.postgres)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, s.now().UnixNano()); err != nil {
		return err
	}
	return nil
}

// AppliedMigrations lists the recorded migration versions in order.
func (s *Store) AppliedMigrations(ctx context.Context) ([]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func nullNanos(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNull(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// isUnique reports a primary key or unique violation, on either database:
// PostgreSQL's SQLSTATE 23505, SQLite's extended codes
// SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555),
// else by the drivers' message text.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		if c := se.Code(); c == 2067 || c == 1555 {
			return true
		}
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unique constraint") || strings.Contains(msg, "duplicate key")
}

var errNoRows = sql.ErrNoRows

func notFound(what string, err error) error {
	if errors.Is(err, errNoRows) {
		return fmt.Errorf("%s: %w", what, domain.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
