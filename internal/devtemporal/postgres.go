package devtemporal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

const (
	// EnvPersistence selects where the dev server keeps Temporal's state:
	// "sqlite" (the default) or "postgres" (the production shape: SQL
	// persistence and visibility on the PostgreSQL server of DATABASE_URL).
	EnvPersistence = "PAYOUTS_TEMPORAL_PERSISTENCE"
	// EnvShards is the number of history shards in postgres mode.
	EnvShards = "PAYOUTS_TEMPORAL_SHARDS"

	// DefaultShards is the shards of postgres mode when EnvShards is unset.
	DefaultShards = 4

	// temporalSuffix names Temporal's databases after the product's.
	temporalSuffix   = "_temporal"
	visibilitySuffix = "_visibility"
)

// Postgres puts the dev server's persistence and visibility on PostgreSQL,
// in two databases it creates and whose schema it sets up or upgrades with
// Temporal's own schema tool at every start.
type Postgres struct {
	// DSN reaches the server (any database on it), as DATABASE_URL does;
	// its user must be allowed to create databases.
	DSN string
	// Database holds persistence; visibility is Database + "_visibility".
	Database string
	// Shards is the number of history shards (0: DefaultShards). It is
	// fixed when the databases are first set up.
	Shards int
	// SchemaVersion stops schema updates at this version ("" for the
	// server's own); tests use it to make an old schema to upgrade.
	SchemaVersion string
}

// VisibilityDatabase is the name of the visibility database.
func (p *Postgres) VisibilityDatabase() string { return p.Database + visibilitySuffix }

// PostgresFromEnv returns the postgres mode's settings when EnvPersistence
// asks for it, nil for the SQLite mode: the databases are database and
// database + "_visibility" on serverDSN's server.
func PostgresFromEnv(serverDSN, database string) (*Postgres, error) {
	switch mode := os.Getenv(EnvPersistence); mode {
	case "", "sqlite":
		return nil, nil
	case "postgres":
	default:
		return nil, fmt.Errorf("%s=%q: want sqlite or postgres", EnvPersistence, mode)
	}
	shards := DefaultShards
	if v := os.Getenv(EnvShards); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s=%q: want a positive number", EnvShards, v)
		}
		shards = n
	}
	return &Postgres{DSN: serverDSN, Database: database, Shards: shards}, nil
}

// TemporalDatabase names Temporal's persistence database after the
// product's database in productDSN: <db>_temporal.
func TemporalDatabase(productDSN string) (string, error) {
	cfg, err := pgx.ParseConfig(productDSN)
	if err != nil {
		return "", errors.New("devtemporal: invalid DATABASE_URL") // pgx's error may quote the password
	}
	return cfg.Database + temporalSuffix, nil
}

// ThrowawayDatabase is a fresh name for Temporal's databases of one run of
// something (a test binary, a benchmark), to drop at its end.
func ThrowawayDatabase(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails
	return prefix + "_" + hex.EncodeToString(b[:]) + temporalSuffix
}

// args are the dev server's flags for this mode; the password goes in the
// environment, where other users cannot read it.
func (p *Postgres) args() (args, env []string, err error) {
	cfg, err := pgx.ParseConfig(p.DSN)
	if err != nil {
		return nil, nil, errors.New("devtemporal: invalid PostgreSQL DSN")
	}
	shards := p.Shards
	if shards == 0 {
		shards = DefaultShards
	}
	sslmode := "disable"
	if cfg.TLSConfig != nil {
		sslmode = "require"
	}
	args = []string{
		"-persistence", "postgres",
		"-postgres-addr", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))),
		"-postgres-user", cfg.User,
		"-postgres-db", p.Database,
		"-postgres-visibility-db", p.VisibilityDatabase(),
		"-postgres-connect-attributes", "sslmode=" + sslmode,
		"-history-shards", strconv.Itoa(shards),
	}
	if p.SchemaVersion != "" {
		args = append(args, "-postgres-schema-version", p.SchemaVersion)
	}
	return args, []string{"DEVSERVER_POSTGRES_PASSWORD=" + cfg.Password}, nil
}

// SetupPostgres creates p's databases and sets up or upgrades their schema
// (up to p.SchemaVersion) without starting a server.
func SetupPostgres(ctx context.Context, p *Postgres) error {
	bin, err := Binary(ctx)
	if err != nil {
		return err
	}
	args, env, err := p.args()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "-setup-schema-only")...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("devtemporal: schema setup: %w\n%s", err, tail(out))
	}
	return nil
}

// Drop drops p's two databases, closing what is still connected to them.
// The server must be stopped first.
func (p *Postgres) Drop(ctx context.Context) (err error) {
	conn, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		return fmt.Errorf("devtemporal: drop Temporal's databases: connect: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close(ctx)) }()
	for _, db := range []string{p.Database, p.VisibilityDatabase()} {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("devtemporal: drop %s: %w", db, err)
		}
	}
	return nil
}

// SchemaVersions reads the schema versions of p's two databases as
// Temporal's schema tool records them.
func (p *Postgres) SchemaVersions(ctx context.Context) (persistence, visibility string, err error) {
	read := func(db string) (string, error) {
		cfg, err := pgx.ParseConfig(p.DSN)
		if err != nil {
			return "", errors.New("devtemporal: invalid PostgreSQL DSN")
		}
		cfg.Database = db
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return "", fmt.Errorf("devtemporal: connect to %s: %w", db, err)
		}
		defer func() { _ = conn.Close(ctx) }()
		var v string
		err = conn.QueryRow(ctx, "SELECT curr_version FROM schema_version WHERE version_partition = 0 AND db_name = $1", db).Scan(&v)
		if err != nil {
			return "", fmt.Errorf("devtemporal: schema version of %s: %w", db, err)
		}
		return v, nil
	}
	if persistence, err = read(p.Database); err != nil {
		return "", "", err
	}
	visibility, err = read(p.VisibilityDatabase())
	return persistence, visibility, err
}

func tail(out []byte) string {
	s := strings.TrimSpace(string(out))
	if len(s) > stderrTail {
		s = s[len(s)-stderrTail:]
	}
	return s
}
