package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

// sandboxSettings configure `payouts sandbox`. The credentials default to
// the ones `payouts dev` uses, so a service started with dev settings talks
// to a standalone sandbox without further configuration.
type sandboxSettings struct {
	Addr         string        `envconfig:"SANDBOX_ADDR" default:"127.0.0.1:8090"`
	MerchantID   string        `envconfig:"HELEKET_MERCHANT_ID"`
	APIKey       string        `envconfig:"HELEKET_API_KEY" secret:"file"` // the payout key the sandbox expects
	SettleAfter  time.Duration `envconfig:"SANDBOX_SETTLE_AFTER" default:"3s"`
	CheckAfter   time.Duration `envconfig:"SANDBOX_CHECK_AFTER"`
	Balances     string        `envconfig:"SANDBOX_BALANCES"` // USDT=1000000,BTC=10
	Seed         int64         `envconfig:"SANDBOX_SEED"`
	PageSize     int           `envconfig:"SANDBOX_PAGE_SIZE"`
	WebhookRetry time.Duration `envconfig:"SANDBOX_WEBHOOK_RETRY"`

	Latency          time.Duration `envconfig:"SANDBOX_LATENCY"`
	LatencyJitter    time.Duration `envconfig:"SANDBOX_LATENCY_JITTER"`
	ServerErrorRate  float64       `envconfig:"SANDBOX_5XX_RATE"`
	RateLimitRate    float64       `envconfig:"SANDBOX_429_RATE"`
	RetryAfter       time.Duration `envconfig:"SANDBOX_RETRY_AFTER"`
	TimeoutRate      float64       `envconfig:"SANDBOX_TIMEOUT_RATE"`
	LostResponseRate float64       `envconfig:"SANDBOX_LOST_RESPONSE_RATE"`
	WebhookDropRate  float64       `envconfig:"SANDBOX_WEBHOOK_DROP_RATE"`
	WebhookDupRate   float64       `envconfig:"SANDBOX_WEBHOOK_DUP_RATE"`
	WebhookReorder   bool          `envconfig:"SANDBOX_WEBHOOK_REORDER"`
	WebhookDelay     time.Duration `envconfig:"SANDBOX_WEBHOOK_DELAY"`
}

// runSandbox serves the Heleket sandbox until ctx is cancelled.
func runSandbox(ctx context.Context, args []string) error {
	set, err := loadSandboxSettings(args)
	if err != nil {
		return err
	}
	sb, err := startSandbox(set, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	fmt.Printf("Heleket sandbox: %s\n  merchant: %s\n  payout key: %s\n  control: %s/_sandbox/stats, %s/_sandbox/faults\n",
		sb.URL(), set.MerchantID, keySource(), sb.URL(), sb.URL())
	<-ctx.Done()
	if err := sb.Close(); err != nil {
		return fmt.Errorf("stop sandbox: %w", err)
	}
	return ctx.Err()
}

// startSandbox starts the sandbox the settings describe. `payouts sandbox`
// and `payouts dev` share it, so both honour every SANDBOX_* setting.
func startSandbox(set sandboxSettings, log *slog.Logger) (*sandbox.Sandbox, error) {
	cfg, faults, err := set.sandboxConfig()
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	sb := sandbox.New(cfg)
	sb.SetFaults(faults)
	if err := sb.Start(set.Addr); err != nil {
		return nil, fmt.Errorf("start Heleket sandbox on %s: %w", set.Addr, err)
	}
	return sb, nil
}

// keySource says where the expected key comes from without printing it.
func keySource() string {
	if os.Getenv("HELEKET_API_KEY") != "" {
		return "$HELEKET_API_KEY"
	}
	if os.Getenv("HELEKET_API_KEY_FILE") != "" {
		return "$HELEKET_API_KEY_FILE"
	}
	return "the dev key (sandbox.DevAPIKey in heleket/sandbox/sandbox.go)"
}

// loadSandboxSettings reads the environment, then lets flags override it.
func loadSandboxSettings(args []string) (sandboxSettings, error) {
	set := sandboxSettings{MerchantID: sandbox.DevMerchantID, APIKey: sandbox.DevAPIKey}
	if err := envconfig.Process("", &set); err != nil {
		return set, fmt.Errorf("sandbox settings: %w", err)
	}
	if err := config.ReadSecretFiles(&set); err != nil {
		return set, err
	}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.StringVar(&set.Addr, "addr", set.Addr, "listen address (SANDBOX_ADDR)")
	fs.StringVar(&set.MerchantID, "merchant", set.MerchantID, "merchant uuid to expect (HELEKET_MERCHANT_ID)")
	fs.DurationVar(&set.SettleAfter, "settle-after", set.SettleAfter, "process -> final delay (SANDBOX_SETTLE_AFTER)")
	fs.DurationVar(&set.CheckAfter, "check-after", set.CheckAfter, "process -> check delay, 0 = none (SANDBOX_CHECK_AFTER)")
	fs.StringVar(&set.Balances, "balances", set.Balances, "initial balances, e.g. USDT=1000000,BTC=10 (SANDBOX_BALANCES)")
	fs.Int64Var(&set.Seed, "seed", set.Seed, "fault RNG seed (SANDBOX_SEED)")
	fs.IntVar(&set.PageSize, "page-size", set.PageSize, "list page size (SANDBOX_PAGE_SIZE)")
	fs.DurationVar(&set.WebhookRetry, "webhook-retry", set.WebhookRetry, "first webhook retry delay (SANDBOX_WEBHOOK_RETRY)")
	fs.DurationVar(&set.Latency, "latency", set.Latency, "added latency (SANDBOX_LATENCY)")
	fs.DurationVar(&set.LatencyJitter, "latency-jitter", set.LatencyJitter, "random extra latency (SANDBOX_LATENCY_JITTER)")
	fs.Float64Var(&set.ServerErrorRate, "5xx-rate", set.ServerErrorRate, "HTTP 500 rate (SANDBOX_5XX_RATE)")
	fs.Float64Var(&set.RateLimitRate, "429-rate", set.RateLimitRate, "HTTP 429 rate (SANDBOX_429_RATE)")
	fs.DurationVar(&set.RetryAfter, "retry-after", set.RetryAfter, "Retry-After sent with 429 (SANDBOX_RETRY_AFTER)")
	fs.Float64Var(&set.TimeoutRate, "timeout-rate", set.TimeoutRate, "hang-without-answer rate (SANDBOX_TIMEOUT_RATE)")
	fs.Float64Var(&set.LostResponseRate, "lost-response-rate", set.LostResponseRate, "apply then lose the answer (SANDBOX_LOST_RESPONSE_RATE)")
	fs.Float64Var(&set.WebhookDropRate, "webhook-drop-rate", set.WebhookDropRate, "dropped webhook rate (SANDBOX_WEBHOOK_DROP_RATE)")
	fs.Float64Var(&set.WebhookDupRate, "webhook-dup-rate", set.WebhookDupRate, "duplicated webhook rate (SANDBOX_WEBHOOK_DUP_RATE)")
	fs.BoolVar(&set.WebhookReorder, "webhook-reorder", set.WebhookReorder, "deliver intermediate webhooks after the final one (SANDBOX_WEBHOOK_REORDER)")
	fs.DurationVar(&set.WebhookDelay, "webhook-delay", set.WebhookDelay, "delay before each webhook (SANDBOX_WEBHOOK_DELAY)")
	if err := fs.Parse(args); err != nil {
		return set, fmt.Errorf("sandbox flags: %w", err)
	}
	return set, nil
}

func (set sandboxSettings) sandboxConfig() (sandbox.Config, sandbox.Faults, error) {
	balances, err := parseBalances(set.Balances)
	if err != nil {
		return sandbox.Config{}, sandbox.Faults{}, err
	}
	faults := sandbox.Faults{
		Latency: set.Latency, LatencyJitter: set.LatencyJitter,
		ServerErrorRate: set.ServerErrorRate, RateLimitRate: set.RateLimitRate, RetryAfter: set.RetryAfter,
		TimeoutRate: set.TimeoutRate, LostResponseRate: set.LostResponseRate,
		WebhookDropRate: set.WebhookDropRate, WebhookDuplicateRate: set.WebhookDupRate,
		WebhookReorder: set.WebhookReorder, WebhookDelay: set.WebhookDelay,
	}
	if err := faults.Validate(); err != nil {
		return sandbox.Config{}, sandbox.Faults{}, fmt.Errorf("sandbox faults: %w", err)
	}
	cfg := sandbox.Config{
		MerchantID: set.MerchantID, APIKey: set.APIKey,
		SettleAfter: set.SettleAfter, CheckAfter: set.CheckAfter,
		Balances: balances, Seed: set.Seed, PageSize: set.PageSize, WebhookRetry: set.WebhookRetry,
	}
	return cfg, faults, nil
}

// parseBalances reads "USDT=1000000,BTC=10"; empty means the sandbox's
// generous defaults.
func parseBalances(s string) (map[string]decimal.Decimal, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := make(map[string]decimal.Decimal)
	for _, part := range strings.Split(s, ",") {
		cur, amount, ok := strings.Cut(strings.TrimSpace(part), "=")
		d, err := decimal.NewFromString(strings.TrimSpace(amount))
		if !ok || strings.TrimSpace(cur) == "" || err != nil {
			return nil, fmt.Errorf("SANDBOX_BALANCES: %q is not CURRENCY=amount", part)
		}
		out[strings.ToUpper(strings.TrimSpace(cur))] = d
	}
	return out, nil
}
