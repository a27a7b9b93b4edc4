package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	toolschema "go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	persistenceSQLite   = "sqlite"
	persistencePostgres = "postgres"

	// defaultPostgresPlugin is the pgx driver; postgres12 (lib/pq) works too.
	defaultPostgresPlugin = postgresplugin.PluginNamePGX

	// maxPostgresPort: Temporal's SQL schema keeps cluster membership
	// ports in a smallint, so a port above it fails the server's start.
	maxPostgresPort = 32767

	// The schema directories inside the server module's embedded schema
	// files, as temporal-sql-tool's -schema-name takes them.
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"

	// postgresRetention is a registered namespace's history retention,
	// what the Temporal CLI's dev server gives its namespaces.
	postgresRetention = 24 * time.Hour

	// postgresMaxConns bounds each store's pool. Idle connections are kept
	// as many as that, so the backends serving Temporal live as long as the
	// server (payouts bench reads their CPU by pid).
	postgresMaxConns = 20
)

// postgresConfigs returns the persistence and visibility store configs.
func postgresConfigs(opts *options) (persistence, visibility *config.SQL, err error) {
	attrs := map[string]string{}
	if opts.PGConnectAttributes != "" {
		values, err := url.ParseQuery(opts.PGConnectAttributes)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid -postgres-connect-attributes: %w", err)
		}
		for k := range values {
			attrs[k] = values.Get(k)
		}
	}
	store := func(db string) *config.SQL {
		return &config.SQL{
			PluginName:        opts.PGPlugin,
			DatabaseName:      db,
			ConnectAddr:       opts.PGAddr,
			ConnectProtocol:   "tcp",
			User:              opts.PGUser,
			Password:          opts.PGPassword,
			ConnectAttributes: attrs,
			MaxConns:          postgresMaxConns,
			MaxIdleConns:      postgresMaxConns,
		}
	}
	return store(opts.PGDatabase), store(opts.PGVisibilityDB), nil
}

// preparePostgres creates both databases when missing and brings their
// schemas to the server's version (or to -postgres-schema-version), the way
// temporal-sql-tool's create-database, setup-schema -v 0.0 and
// update-schema do it: every step is a no-op when already done, so a
// second start on the same databases changes nothing and an older schema
// is upgraded.
func preparePostgres(opts *options, logger log.Logger) (persistence, visibility *config.SQL, err error) {
	persistence, visibility, err = postgresConfigs(opts)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range []struct {
		conf   *config.SQL
		schema string
	}{{persistence, postgresSchema}, {visibility, postgresVisibilitySchema}} {
		if err := setupPostgresDatabase(s.conf, s.schema, opts.PGSchemaVersion, logger); err != nil {
			return nil, nil, fmt.Errorf("database %s: %w", s.conf.DatabaseName, err)
		}
	}
	return persistence, visibility, nil
}

func setupPostgresDatabase(conf *config.SQL, schemaName, version string, logger log.Logger) error {
	if err := createDatabase(*conf, logger); err != nil {
		return err
	}
	conn, err := sqltool.NewConnection(conf, logger)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close()
	setup := &toolschema.SetupConfig{InitialVersion: "0.0"}
	if err := toolschema.NewSetupSchemaTask(conn, setup, logger).Run(); err != nil {
		return fmt.Errorf("setting up the schema version tables: %w", err)
	}
	update := &toolschema.UpdateConfig{SchemaName: schemaName, TargetVersion: version}
	if err := toolschema.NewUpdateSchemaTask(conn, update, logger).Run(); err != nil {
		return fmt.Errorf("updating the schema: %w", err)
	}
	return nil
}

// createDatabase creates conf's database unless it exists already.
func createDatabase(conf config.SQL, logger log.Logger) error {
	err := sqltool.DoCreateDatabase(&conf, "postgres", logger)
	var pgErr *pgconn.PgError
	if err == nil || (errors.As(err, &pgErr) && pgErr.Code == "42P04") || strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return fmt.Errorf("creating the database: %w", err)
}

// registerNamespaces registers the namespaces that do not exist yet: on
// PostgreSQL there is no SQLite-style pre-creation before the server runs.
func registerNamespaces(ctx context.Context, conn *grpc.ClientConn, namespaces []string) error {
	wf := workflowservice.NewWorkflowServiceClient(conn)
	for _, ns := range namespaces {
		err := retry(ctx, "register namespace "+ns, func(ctx context.Context) error {
			_, err := wf.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
				Namespace:                        ns,
				WorkflowExecutionRetentionPeriod: durationpb.New(postgresRetention),
				HistoryArchivalState:             enumspb.ARCHIVAL_STATE_DISABLED,
				VisibilityArchivalState:          enumspb.ARCHIVAL_STATE_DISABLED,
			})
			if status.Code(err) == codes.AlreadyExists {
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkPostgresPorts refuses ports Temporal cannot store on PostgreSQL.
func checkPostgresPorts(opts *options) error {
	if opts.Persistence != persistencePostgres {
		return nil
	}
	if opts.Port > maxPostgresPort {
		return fmt.Errorf("-port %d: on PostgreSQL Temporal stores ports in a smallint, use one up to %d", opts.Port, maxPostgresPort)
	}
	return nil
}
