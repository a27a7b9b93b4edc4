package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	clusterName = "active"
	// internalHost is where the history, matching and worker services bind;
	// they are only ever reached from inside this process.
	internalHost = "127.0.0.1"
)

// devServer is a running Temporal server plus optional Web UI.
type devServer struct {
	server           temporal.Server
	ui               *uiserver.Server
	conn             *grpc.ClientConn
	logLevel         zap.AtomicLevel
	frontendHostPort string // connectable host:port of the frontend
	uiURL            string // "" when the UI is disabled
}

// stop shuts everything down; it is safe to call on a partially started server.
func (s *devServer) stop() {
	// Stopping makes internal clients and the system worker log a burst of
	// expected connection warnings; at the default level, keep them out.
	if s.logLevel != (zap.AtomicLevel{}) && s.logLevel.Level() == zapcore.WarnLevel {
		s.logLevel.SetLevel(zapcore.ErrorLevel)
	}
	if s.ui != nil {
		s.ui.Stop()
	}
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if s.server != nil {
		if err := s.server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "devserver: stopping temporal server: %v\n", err)
		}
	}
}

// connectHost returns an address clients can dial to reach a listener bound
// on ip (a wildcard bind is reached through loopback).
func connectHost(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed != nil && parsed.IsUnspecified() {
		if parsed.To4() != nil {
			return "127.0.0.1"
		}
		return "::1"
	}
	return ip
}

// freePort returns a currently unused TCP port on ip, at most maxPort. The
// kernel picks from its ephemeral range, which on Linux starts above what
// PostgreSQL mode allows; below that, ports are tried at random.
func freePort(ip string, maxPort int) (int, error) {
	if maxPort >= 65535 {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return 0, fmt.Errorf("picking a free port on %s: %w", ip, err)
		}
		defer func() { _ = l.Close() }()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	const lowest = 10000
	var last error
	for range 200 {
		port := lowest + rand.IntN(maxPort-lowest+1)
		if last = checkPortFree(ip, port); last == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port on %s between %d and %d: %w", ip, lowest, maxPort, last)
}

// checkPortFree reports whether ip:port can currently be bound.
func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

func startDevServer(ctx context.Context, opts *options) (*devServer, error) {
	host := connectHost(opts.IP)

	maxPort := 65535
	if opts.Persistence == persistencePostgres {
		maxPort = maxPostgresPort
	}
	frontendPort := opts.Port
	if frontendPort == 0 {
		p, err := freePort(opts.IP, maxPort)
		if err != nil {
			return nil, err
		}
		frontendPort = p
	}
	uiPort := opts.UIPort
	if uiPort == -1 {
		p, err := freePort(opts.IP, 65535)
		if err != nil {
			return nil, err
		}
		uiPort = p
	}
	var internalPorts [3]int
	for i := range internalPorts {
		p, err := freePort(internalHost, maxPort)
		if err != nil {
			return nil, err
		}
		internalPorts[i] = p
	}

	// Fail early with a clear message rather than a fatal log with a stack
	// trace from deep inside the server (or the UI server's log.Fatal).
	if err := checkPortFree(opts.IP, frontendPort); err != nil {
		return nil, fmt.Errorf("frontend port unavailable: %w", err)
	}
	if opts.UIPort != 0 {
		if err := checkPortFree(opts.IP, uiPort); err != nil {
			return nil, fmt.Errorf("web UI port unavailable: %w", err)
		}
	}

	logger, logLevel, err := newLogger(opts)
	if err != nil {
		return nil, err
	}

	frontendHostPort := net.JoinHostPort(host, strconv.Itoa(frontendPort))

	persistence, err := persistenceConfig(opts, logger)
	if err != nil {
		return nil, err
	}

	conf := &config.Config{}
	conf.Global.Membership = config.Membership{
		MaxJoinDuration:  30 * time.Second,
		BroadcastAddress: internalHost,
	}
	conf.Persistence = persistence
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendHostPort,
			},
		},
	}
	conf.DCRedirectionPolicy = config.DCRedirectionPolicy{Policy: "noop"}
	conf.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{GRPCPort: frontendPort, BindOnIP: opts.IP}},
		string(primitives.HistoryService):  {RPC: config.RPC{GRPCPort: internalPorts[0], BindOnIP: internalHost}},
		string(primitives.MatchingService): {RPC: config.RPC{GRPCPort: internalPorts[1], BindOnIP: internalHost}},
		string(primitives.WorkerService):   {RPC: config.RPC{GRPCPort: internalPorts[2], BindOnIP: internalHost}},
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The worker service talks to the frontend through the public client.
	conf.PublicClient.HostPort = frontendHostPort

	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("creating authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("creating claim mapper: %w", err)
	}

	hostPort := func(port int) static.Hosts {
		return static.SingleLocalHost(net.JoinHostPort(internalHost, strconv.Itoa(port)))
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		// Static membership: no ringpop gossip ports, faster start-up.
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(frontendHostPort),
			primitives.HistoryService:  hostPort(internalPorts[0]),
			primitives.MatchingService: hostPort(internalPorts[1]),
			primitives.WorkerService:   hostPort(internalPorts[2]),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig()),
		temporal.WithChainedFrontendGrpcInterceptors(detachFromCaller),
	)
	if err != nil {
		return nil, fmt.Errorf("creating temporal server: %w", err)
	}
	ds := &devServer{server: srv, logLevel: logLevel, frontendHostPort: frontendHostPort}

	if err := srv.Start(); err != nil {
		ds.server = nil
		return nil, fmt.Errorf("starting temporal server: %w", err)
	}

	if opts.UIPort != 0 {
		ds.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
			TemporalGRPCAddress: frontendHostPort,
			Host:                opts.IP,
			Port:                uiPort,
			PublicPath:          opts.UIPublicPath,
			EnableUI:            true,
			DefaultNamespace:    opts.Namespaces[0],
			Codec:               uiconfig.Codec{Endpoint: opts.UICodecEndpoint},
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
		}))
		go func() {
			if err := ds.ui.Start(); err != nil {
				fmt.Fprintf(os.Stderr, "devserver: web UI server: %v\n", err)
			}
		}()
		ds.uiURL = "http://" + net.JoinHostPort(host, strconv.Itoa(uiPort)) + opts.UIPublicPath
	}

	conn, err := grpc.NewClient(frontendHostPort, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return ds, fmt.Errorf("creating frontend client: %w", err)
	}
	ds.conn = conn

	readyCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if opts.Persistence == persistencePostgres {
		if err := registerNamespaces(readyCtx, conn, opts.Namespaces); err != nil {
			return ds, err
		}
	}
	if err := ensureSearchAttributes(readyCtx, conn, opts.Namespaces); err != nil {
		return ds, err
	}
	if ds.ui != nil {
		if err := waitTCP(readyCtx, net.JoinHostPort(host, strconv.Itoa(uiPort))); err != nil {
			return ds, fmt.Errorf("web UI did not come up: %w", err)
		}
	}
	return ds, nil
}

// dynamicConfig returns the static dynamic-config overrides for a dev server.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Not ForceSearchAttributesCacheRefreshOnRead, which temporaltest
		// sets: it re-read the cluster and namespace metadata from SQLite on
		// every search attribute write (2% of the engine's CPU in payouts
		// bench), and Temporal says not to use it in production. On SQL visibility the payouts' attributes are
		// namespace aliases of preallocated columns, which the namespace
		// registry picks up on its own (see namespaceRefreshWait).
		// What the Temporal CLI dev server sets.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Tests poll visibility; don't let the default 10 RPS burst throttle them.
		dynamicconfig.FrontendMaxNamespaceVisibilityBurstRatioPerInstance.Key(): 2.0,
		// Nexus needs the frontend HTTP API, which is not started; disabling
		// it explicitly avoids a start-up warning.
		dynamicconfig.EnableNexus.Key(): false,
	}
}

// newLogger builds the server's stderr logger at opts.LogLevel.
func newLogger(opts *options) (log.Logger, zap.AtomicLevel, error) {
	level := zap.NewAtomicLevelAt(log.ParseZapLevel(opts.LogLevel))
	zl, err := zap.Config{
		Level:            level,
		Encoding:         "console",
		EncoderConfig:    log.DefaultZapEncoderConfig,
		OutputPaths:      []string{"stderr"},
		ErrorOutputPaths: []string{"stderr"},
	}.Build()
	if err != nil {
		return nil, level, fmt.Errorf("building logger: %w", err)
	}
	return log.NewZapLogger(zl), level, nil
}

// persistenceConfig prepares the stores of the chosen mode.
func persistenceConfig(opts *options, logger log.Logger) (config.Persistence, error) {
	if opts.Persistence == persistencePostgres {
		main, visibility, err := preparePostgres(opts, logger)
		if err != nil {
			return config.Persistence{}, err
		}
		return config.Persistence{
			DefaultStore:     "postgres",
			VisibilityStore:  "postgres-visibility",
			NumHistoryShards: int32(opts.HistoryShards),
			DataStores: map[string]config.DataStore{
				"postgres":            {SQL: main},
				"postgres-visibility": {SQL: visibility},
			},
		}, nil
	}
	sqlConf, err := prepareSQLite(opts)
	if err != nil {
		return config.Persistence{}, err
	}
	return config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: int32(opts.HistoryShards),
		DataStores: map[string]config.DataStore{
			sqliteplugin.PluginName: {SQL: sqlConf},
		},
	}, nil
}

// prepareSQLite builds the SQLite persistence config, creating the schema for
// a new database file and pre-creating the namespaces (with the payouts
// search attributes) when they do not exist yet.
func prepareSQLite(opts *options) (*config.SQL, error) {
	sqlConf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if opts.DBFile == "" {
		sqlConf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		// Shared-cache in-memory databases are keyed by name; keep it unique.
		sqlConf.DatabaseName = "devserver-" + strconv.FormatUint(rand.Uint64(), 36)
	} else {
		sqlConf.ConnectAttributes = map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		}
		sqlConf.DatabaseName = opts.DBFile
		fi, err := os.Stat(opts.DBFile)
		switch {
		case errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0):
			if _, err := os.Stat(filepath.Dir(opts.DBFile)); err != nil {
				return nil, fmt.Errorf("database directory: %w", err)
			}
			if err := sqliteschema.SetupSchema(sqlConf); err != nil {
				return nil, fmt.Errorf("setting up SQLite schema in %s: %w", opts.DBFile, err)
			}
		case err != nil:
			return nil, fmt.Errorf("database file: %w", err)
		}
	}

	namespaces := make([]*sqliteschema.NamespaceConfig, 0, len(opts.Namespaces))
	for _, ns := range opts.Namespaces {
		nsConf, err := sqliteschema.NewNamespaceConfig(clusterName, ns, false, payoutSearchAttributes)
		if err != nil {
			return nil, fmt.Errorf("namespace %q config: %w", ns, err)
		}
		namespaces = append(namespaces, nsConf)
	}
	// Existing namespaces are left untouched; missing search attributes on
	// them are added through the operator service once the server is up.
	if err := sqliteschema.CreateNamespaces(sqlConf, namespaces...); err != nil {
		return nil, fmt.Errorf("creating namespaces: %w", err)
	}
	return sqlConf, nil
}

// waitTCP polls until addr accepts TCP connections.
func waitTCP(ctx context.Context, addr string) error {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", addr, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// maxDetached bounds a request whose caller set no deadline.
const maxDetached = 5 * time.Minute

// detachFromCaller keeps a caller that dies mid-request (a worker killed
// with kill -9, as the chaos test does) from cancelling the request inside
// the server: SQLite answers a cancelled transaction with SQLITE_INTERRUPT
// ("AppendHistoryNodes failed. Failed to start transaction. Error:
// interrupted (9)"), after which the in-memory store's shard never came
// back ("shard status unknown" on every call). The caller's deadline still
// applies; long polls still end with their caller, so a dead worker's
// pollers do not take tasks.
func detachFromCaller(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if strings.Contains(info.FullMethod, "Poll") {
		return handler(ctx, req)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(maxDetached)
	}
	detached, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	return handler(detached, req)
}
