package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/schema"
)

// runDev starts the whole product in one process tree and stops it all on
// Ctrl-C.
func runDev(ctx context.Context, _ []string) error {
	if os.Getenv("LOG_FORMAT") == "" {
		os.Setenv("LOG_FORMAT", "text")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	stateDir, err := devStateDir()
	if err != nil {
		return err
	}
	if err := devSecrets(&cfg, stateDir); err != nil {
		return err
	}
	temporal, err := startDevTemporal(ctx, cfg, stateDir)
	if err != nil {
		return err
	}
	defer stopLogged(log, "Temporal dev server", temporal.Stop)
	if err := schema.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return fmt.Errorf("migrate %s: %w (is PostgreSQL running? pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)", redactDSN(cfg.DatabaseURL), err)
	}
	if cfg.HeleketAPIKey == "" {
		sb, err := startDevSandbox(&cfg, log)
		if err != nil {
			return err
		}
		defer stopLogged(log, "sandbox", sb.Close)
	}
	log = newLogger(cfg) // now it knows the generated secrets, to mask them
	return runDevServices(ctx, cfg, log, temporal.UIURL())
}

func runDevServices(ctx context.Context, cfg config.Config, log *slog.Logger, uiURL string) error {
	tr, stopTracing, err := startTracing(ctx, cfg, log, "dev")
	if err != nil {
		return err
	}
	defer stopTracing()
	st, tc, closeAll, err := openServices(ctx, cfg, log, tr)
	if err != nil {
		return err
	}
	defer closeAll()
	w, err := newWorker(cfg, st, tc, log, tr)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	stopAlerts, err := startAlerts(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	defer stopAlerts()
	if err := ensureSchedule(ctx, cfg, tc, log); err != nil {
		return err
	}
	adoptCampaigns(ctx, cfg, st, tc, log)
	h, err := newAPI(cfg, st, tc, log, tr)
	if err != nil {
		return err
	}
	printBanner(cfg, uiURL)
	return serveHTTP(ctx, cfg.HTTPAddr, h, log)
}

func startDevTemporal(ctx context.Context, cfg config.Config, stateDir string) (*devtemporal.Server, error) {
	host, port, err := splitHostPort(cfg.TemporalAddress)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_ADDRESS: %w", err)
	}
	_, uiPort, err := splitHostPort(cfg.TemporalUIAddr)
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_UI_ADDR: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(stateDir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open dev server log: %w", err)
	}
	pg, err := devPostgres(cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "starting the Temporal dev server…")
	startCtx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(startCtx, devtemporal.Options{
		IP: host, Port: port, UIPort: uiPort, DBFile: filepath.Join(stateDir, "temporal.db"), Postgres: pg,
		Namespaces: []string{cfg.TemporalNamespace}, Stdout: logFile, Stderr: logFile,
		CodecEndpoint: devCodecEndpoint(cfg), BuildProgress: os.Stderr,
	})
	if err != nil {
		return nil, fmt.Errorf("start Temporal dev server: %w", err)
	}
	return srv, nil
}

// devPostgres is the dev server's postgres mode when
// PAYOUTS_TEMPORAL_PERSISTENCE=postgres: Temporal's databases sit next to
// the product's, named after it, and are kept between runs.
func devPostgres(cfg config.Config) (*devtemporal.Postgres, error) {
	db, err := devtemporal.TemporalDatabase(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	return devtemporal.PostgresFromEnv(cfg.DatabaseURL, db)
}

// startDevSandbox runs the sandbox when no real Heleket key is configured,
// with every SANDBOX_* setting `payouts sandbox` reads. It always takes the
// sandbox's dev credentials, which only ever work against the sandbox.
func startDevSandbox(cfg *config.Config, log *slog.Logger) (*sandbox.Sandbox, error) {
	set, err := loadSandboxSettings(nil)
	if err != nil {
		return nil, err
	}
	set.MerchantID, set.APIKey = sandbox.DevMerchantID, sandbox.DevAPIKey
	sb, err := startSandbox(set, log.With("component", "sandbox"))
	if err != nil {
		return nil, err
	}
	cfg.HeleketProjectURL, cfg.HeleketMerchantID, cfg.HeleketAPIKey = sb.URL(), set.MerchantID, set.APIKey
	return sb, nil
}

// devDir is PAYOUTS_DEV_DIR, where `payouts dev` keeps its state.
func devDir() string {
	if dir := os.Getenv("PAYOUTS_DEV_DIR"); dir != "" {
		return dir
	}
	return ".dev"
}

// devStateDir keeps the dev server's SQLite file between runs.
func devStateDir() (string, error) {
	dir := devDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	return dir, nil
}

func printBanner(cfg config.Config, uiURL string) {
	tokens, _ := config.ParseAdminTokens(cfg.AdminTokens) // validated by config.Load
	// The banner's curl needs a token that may create a payout: "admin"'s,
	// else the first that can.
	token := ""
	for _, t := range tokens {
		if t.Credential().Actor.Can(access.Initiator) && (token == "" || t.Name == "admin") {
			token = t.Token
		}
	}
	fmt.Printf(`
payouts dev is up
  API          http://%s
  Temporal UI  %s
  Temporal     %s (namespace %s)
  Heleket      %s
  Metrics      http://%s/metrics
  Payloads     encrypted (key %s); the UI decodes them through http://%s/codec/<CODEC_TOKEN>
  admin tokens %s (kept in %s)

Create a payout (the README's examples use $TOKEN):
  TOKEN=%s
  curl -sS -X POST http://%s/clients/42/payout \
    -H "Authorization: Bearer $TOKEN" \
    -H 'Idempotency-Key: first-payout' -H 'Content-Type: application/json' \
    -d '{"asset":"USDT","network":"tron","amount":"100.50","address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}'
then follow it with the Location it returns (GET /payouts/<id>) or in the Temporal UI.
Ctrl-C stops everything.
`, cfg.HTTPAddr, uiURL, cfg.TemporalAddress, cfg.TemporalNamespace, heleketLine(cfg),
		cfg.HTTPAddr, payloadKeyID(cfg), cfg.HTTPAddr, cfg.AdminTokens, filepath.Join(devDir(), devAdminTokensFile),
		token, cfg.HTTPAddr)
}

// heleketLine points at the sandbox's control routes when the sandbox is
// what the service talks to.
func heleketLine(cfg config.Config) string {
	if cfg.HeleketAPIKey != sandbox.DevAPIKey {
		return cfg.HeleketProjectURL
	}
	return cfg.HeleketProjectURL + " (the sandbox; settle time and outcomes under /_sandbox/, see README)"
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return host, port, nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

func stopLogged(log *slog.Logger, what string, stop func() error) {
	if err := stop(); err != nil {
		log.Error("stop "+what, "error", err)
	}
}

// redactDSN drops credentials from a connection string before printing it.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable DATABASE_URL)"
	}
	return u.Redacted()
}
