// Command temporal-dev runs a single-process Temporal development server
// (frontend, history, matching and worker services on SQLite persistence)
// plus, optionally, the Temporal Web UI.
//
// It is modeled on go.temporal.io/server/temporaltest's internal lite server
// and on the Temporal CLI's `server start-dev`. It pre-registers the payouts
// custom search attributes in every namespace it manages.
//
// When everything is reachable it prints exactly one line to stdout:
//
//	devserver ready frontend=<host:port> ui=<http://host:port|none>
//
// and then runs until SIGINT or SIGTERM. Logs go to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startupTimeout bounds how long we wait for the frontend to come up and the
// search attributes to be registered before giving up.
const startupTimeout = 90 * time.Second

// options holds the parsed command line.
type options struct {
	IP              string
	Port            int
	UIPort          int
	DBFile          string
	Namespaces      []string
	LogLevel        string
	UICodecEndpoint string
	UIPublicPath    string
	Persistence     string // sqlite or postgres
	HistoryShards   int

	// PostgreSQL mode.
	PGAddr, PGUser, PGPassword string
	PGDatabase, PGVisibilityDB string
	PGPlugin                   string
	PGConnectAttributes        string
	// PGSchemaVersion stops schema updates at this version ("" for the
	// server's); with SetupOnly, tests make an older schema to upgrade.
	PGSchemaVersion string
	SetupOnly       bool
}

// namespaceList is a repeatable, comma separated flag value.
type namespaceList struct {
	values []string
	set    bool
}

func (n *namespaceList) String() string { return strings.Join(n.values, ",") }

func (n *namespaceList) Set(v string) error {
	if !n.set {
		// The first explicit value replaces the default.
		n.values = nil
		n.set = true
	}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		dup := false
		for _, existing := range n.values {
			if existing == part {
				dup = true
				break
			}
		}
		if !dup {
			n.values = append(n.values, part)
		}
	}
	return nil
}

func envString(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "devserver: ignoring invalid %s=%q: %v\n", name, v, err)
			return def
		}
		return n
	}
	return def
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("temporal-dev", flag.ContinueOnError)
	o := &options{}
	fs.StringVar(&o.IP, "ip", envString("DEVSERVER_IP", "127.0.0.1"),
		"IP address the frontend (and UI) bind to [env DEVSERVER_IP]")
	fs.IntVar(&o.Port, "port", envInt("DEVSERVER_PORT", 7233),
		"frontend gRPC port; 0 picks a free port [env DEVSERVER_PORT]")
	fs.IntVar(&o.UIPort, "ui-port", envInt("DEVSERVER_UI_PORT", 8233),
		"Web UI port; 0 disables the UI, -1 picks a free port [env DEVSERVER_UI_PORT]")
	fs.StringVar(&o.DBFile, "db-filename", envString("DEVSERVER_DB_FILENAME", ""),
		"SQLite database file; empty means in-memory [env DEVSERVER_DB_FILENAME]")
	fs.StringVar(&o.LogLevel, "log-level", envString("DEVSERVER_LOG_LEVEL", "warn"),
		"server log level: debug, info, warn, error [env DEVSERVER_LOG_LEVEL]")
	fs.StringVar(&o.UICodecEndpoint, "ui-codec-endpoint", envString("DEVSERVER_UI_CODEC_ENDPOINT", ""),
		"remote codec server endpoint the Web UI uses to decode payloads [env DEVSERVER_UI_CODEC_ENDPOINT]")
	fs.StringVar(&o.UIPublicPath, "ui-public-path", envString("DEVSERVER_UI_PUBLIC_PATH", ""),
		"path prefix the Web UI is served under [env DEVSERVER_UI_PUBLIC_PATH]")
	fs.StringVar(&o.Persistence, "persistence", envString("DEVSERVER_PERSISTENCE", persistenceSQLite),
		"where Temporal keeps its state: sqlite or postgres [env DEVSERVER_PERSISTENCE]")
	fs.IntVar(&o.HistoryShards, "history-shards", envInt("DEVSERVER_HISTORY_SHARDS", 0),
		"history shards; 0 means 1 on SQLite, 4 on PostgreSQL; fixed once a PostgreSQL database is set up [env DEVSERVER_HISTORY_SHARDS]")
	fs.StringVar(&o.PGAddr, "postgres-addr", envString("DEVSERVER_POSTGRES_ADDR", "127.0.0.1:5432"),
		"PostgreSQL host:port [env DEVSERVER_POSTGRES_ADDR]")
	fs.StringVar(&o.PGUser, "postgres-user", envString("DEVSERVER_POSTGRES_USER", "postgres"),
		"PostgreSQL user; it must be allowed to create databases [env DEVSERVER_POSTGRES_USER]")
	o.PGPassword = os.Getenv("DEVSERVER_POSTGRES_PASSWORD") // not a flag: argv is public
	fs.StringVar(&o.PGDatabase, "postgres-db", envString("DEVSERVER_POSTGRES_DB", "temporal"),
		"persistence database, created when missing [env DEVSERVER_POSTGRES_DB]")
	fs.StringVar(&o.PGVisibilityDB, "postgres-visibility-db", envString("DEVSERVER_POSTGRES_VISIBILITY_DB", ""),
		"visibility database, created when missing; empty means <postgres-db>_visibility [env DEVSERVER_POSTGRES_VISIBILITY_DB]")
	fs.StringVar(&o.PGPlugin, "postgres-plugin", envString("DEVSERVER_POSTGRES_PLUGIN", defaultPostgresPlugin),
		"Temporal SQL plugin: postgres12_pgx or postgres12 [env DEVSERVER_POSTGRES_PLUGIN]")
	fs.StringVar(&o.PGConnectAttributes, "postgres-connect-attributes", envString("DEVSERVER_POSTGRES_CONNECT_ATTRIBUTES", ""),
		"connection parameters as a query string, e.g. sslmode=require [env DEVSERVER_POSTGRES_CONNECT_ATTRIBUTES]")
	fs.StringVar(&o.PGSchemaVersion, "postgres-schema-version", "",
		"update both schemas only up to this version (for tests of upgrades); empty means the server's")
	fs.BoolVar(&o.SetupOnly, "setup-schema-only", false,
		"PostgreSQL mode: create and update the databases, then exit without starting the server")
	ns := &namespaceList{}
	_ = ns.Set(envString("DEVSERVER_NAMESPACE", "default"))
	ns.set = false // a -namespace flag replaces the default / env value
	fs.Var(ns, "namespace",
		"namespace to register (repeatable or comma separated) [env DEVSERVER_NAMESPACE]")

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	o.Namespaces = ns.values
	if len(o.Namespaces) == 0 {
		return nil, errors.New("at least one namespace is required")
	}
	if net.ParseIP(o.IP) == nil {
		return nil, fmt.Errorf("invalid -ip %q", o.IP)
	}
	if o.Port < 0 || o.Port > 65535 {
		return nil, fmt.Errorf("invalid -port %d", o.Port)
	}
	if o.UIPort < -1 || o.UIPort > 65535 {
		return nil, fmt.Errorf("invalid -ui-port %d", o.UIPort)
	}
	switch o.Persistence {
	case persistenceSQLite:
		if o.SetupOnly {
			return nil, errors.New("-setup-schema-only needs -persistence postgres")
		}
	case persistencePostgres:
		if o.PGVisibilityDB == "" {
			o.PGVisibilityDB = o.PGDatabase + "_visibility"
		}
		if o.PGDatabase == o.PGVisibilityDB {
			return nil, errors.New("-postgres-db and -postgres-visibility-db must differ")
		}
	default:
		return nil, fmt.Errorf("invalid -persistence %q: want sqlite or postgres", o.Persistence)
	}
	if o.HistoryShards < 0 {
		return nil, fmt.Errorf("invalid -history-shards %d", o.HistoryShards)
	}
	if o.HistoryShards == 0 {
		o.HistoryShards = 1
		if o.Persistence == persistencePostgres {
			o.HistoryShards = 4
		}
	}
	if err := checkPostgresPorts(o); err != nil {
		return nil, err
	}
	switch o.LogLevel {
	case "debug", "info", "warn", "error", "fatal":
	default:
		return nil, fmt.Errorf("invalid -log-level %q", o.LogLevel)
	}
	return o, nil
}

func main() {
	readyOut := reserveStdout()
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "devserver: %v\n", err)
		os.Exit(2)
	}
	if opts.SetupOnly {
		if err := setupOnly(opts); err != nil {
			fmt.Fprintf(os.Stderr, "devserver: %v\n", err)
			os.Exit(1)
		}
		return
	}
	servePprof()
	if err := run(opts, readyOut); err != nil {
		fmt.Fprintf(os.Stderr, "devserver: %v\n", err)
		os.Exit(1)
	}
}

func run(opts *options, readyOut *os.File) error {
	sigCh := make(chan os.Signal, 2)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-sigCh
		cancel()
		// A second signal while shutting down aborts immediately.
		<-sigCh
		fmt.Fprintln(os.Stderr, "devserver: second signal, exiting immediately")
		os.Exit(1)
	}()

	srv, err := startDevServer(ctx, opts)
	if err != nil {
		if srv != nil {
			srv.stop()
		}
		if ctx.Err() != nil {
			// Interrupted during startup: not an error.
			return nil
		}
		return err
	}

	ui := "none"
	if srv.uiURL != "" {
		ui = srv.uiURL
	}
	fmt.Fprintf(readyOut, "devserver ready frontend=%s ui=%s\n", srv.frontendHostPort, ui)

	<-ctx.Done()
	srv.stop()
	return nil
}

// setupOnly prepares the PostgreSQL databases and returns.
func setupOnly(opts *options) error {
	logger, _, err := newLogger(opts)
	if err != nil {
		return err
	}
	_, _, err = preparePostgres(opts, logger)
	return err
}
