// Package config reads the service's settings from the environment.
package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/payout"
)

// Config holds every setting; the README's configuration table mirrors it.
type Config struct {
	HeleketProjectURL string `envconfig:"HELEKET_PROJECT_URL" default:"https://api.heleket.com"`
	// HeleketAllowHTTPHost is the one host (besides loopback) that may be
	// reached over plain http: a test setup's sandbox, like compose's.
	HeleketAllowHTTPHost string `envconfig:"HELEKET_ALLOW_HTTP_HOST"`
	HeleketMerchantID    string `envconfig:"HELEKET_MERCHANT_ID"`
	HeleketAPIKey        string `envconfig:"HELEKET_API_KEY" secret:"file"`
	HeleketWebhookSecret string `envconfig:"HELEKET_WEBHOOK_SECRET" secret:"file"`

	DatabaseURL string `envconfig:"DATABASE_URL" default:"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" secret:"file"`
	// DatabaseMaxConns caps the pgx pool; 0 is pgx's own, max(4, number of
	// CPUs), which follows the machine rather than the PostgreSQL budget.
	DatabaseMaxConns int `envconfig:"DATABASE_MAX_CONNS" default:"0"`

	TemporalAddress   string `envconfig:"TEMPORAL_ADDRESS" default:"127.0.0.1:7233"`
	TemporalNamespace string `envconfig:"TEMPORAL_NAMESPACE" default:"default"`
	TemporalTaskQueue string `envconfig:"TEMPORAL_TASK_QUEUE" default:"payouts"`
	TemporalUIAddr    string `envconfig:"TEMPORAL_UI_ADDR" default:"127.0.0.1:8233"`
	// gzip or none. The SDK's default, gzip, compresses every call to
	// Temporal; for a server on the same network that was 13% of the
	// CPU a payout costs (payouts bench) to save a few hundred bytes.
	TemporalCompression string `envconfig:"TEMPORAL_GRPC_COMPRESSION" default:"none"`

	HTTPAddr      string `envconfig:"HTTP_ADDR" default:"127.0.0.1:8080"`
	PublicBaseURL string `envconfig:"PUBLIC_BASE_URL"`
	AdminTokens   string `envconfig:"ADMIN_TOKENS" secret:"own-file"`
	// AdminTokensFile lists tokens by their SHA-256, with roles and an
	// optional expiry (config/admintokens.go).
	AdminTokensFile string `envconfig:"ADMIN_TOKENS_FILE"`

	WebhookWait    time.Duration `envconfig:"PAYOUT_WEBHOOK_WAIT" default:"5m"`
	PollInitial    time.Duration `envconfig:"PAYOUT_POLL_INITIAL" default:"30s"`
	PollMax        time.Duration `envconfig:"PAYOUT_POLL_MAX" default:"30m"`
	MaxAmount      string        `envconfig:"PAYOUT_MAX_AMOUNT" default:"100000"`
	MaxAmounts     string        `envconfig:"PAYOUT_MAX_AMOUNTS"`
	FeeFromBalance bool          `envconfig:"PAYOUT_FEE_FROM_BALANCE" default:"true"`

	// Four-eyes approval: payouts above their asset's threshold wait for a
	// second admin; assets not listed need no approval.
	ApprovalThresholds string        `envconfig:"APPROVAL_THRESHOLDS"`
	ApprovalTimeout    time.Duration `envconfig:"APPROVAL_TIMEOUT" default:"24h"`
	// BatchPageSize is how many campaign rows one page starts; 0 is the
	// workflow's own (500). Tests set it low to get many pages from a few
	// hundred rows.
	BatchPageSize int `envconfig:"BATCH_PAGE_SIZE" default:"0"`

	// Reconciliation: a Temporal schedule compares Postgres with Heleket.
	ReconcileEvery    time.Duration `envconfig:"RECONCILE_EVERY" default:"15m"`
	ReconcileOverlap  time.Duration `envconfig:"RECONCILE_OVERLAP" default:"1h"`
	ReconcileLookback time.Duration `envconfig:"RECONCILE_LOOKBACK" default:"72h"`
	StuckAfter        time.Duration `envconfig:"PAYOUT_STUCK_AFTER" default:"1h"`
	AlertWebhookURL   string        `envconfig:"ALERT_WEBHOOK_URL" secret:"file"`
	// The alerts outbox's dispatcher (worker): posts a minute overall, how
	// often it reads the outbox, the longest wait between two posts of one alert.
	AlertRateLimit    int           `envconfig:"ALERT_RATE_LIMIT" default:"30"`
	AlertPollInterval time.Duration `envconfig:"ALERT_POLL_INTERVAL" default:"1s"`
	AlertRetryMax     time.Duration `envconfig:"ALERT_RETRY_MAX" default:"10m"`

	// Outbound events (POST /event-endpoints): how often the worker hands
	// the outbox to Temporal, how long a receiver may take to answer, the
	// backoff between attempts of a failing delivery, how long one is
	// retried before it is given up, and how many are posted at once.
	EventDispatchInterval   time.Duration `envconfig:"EVENT_DISPATCH_INTERVAL" default:"1s"`
	EventDeliveryTimeout    time.Duration `envconfig:"EVENT_DELIVERY_TIMEOUT" default:"10s"`
	EventRetryInitial       time.Duration `envconfig:"EVENT_RETRY_INITIAL" default:"10s"`
	EventRetryMax           time.Duration `envconfig:"EVENT_RETRY_MAX" default:"1h"`
	EventDeliveryWindow     time.Duration `envconfig:"EVENT_DELIVERY_WINDOW" default:"72h"`
	EventDeliveryConcurrent int           `envconfig:"EVENT_DELIVERY_CONCURRENCY" default:"20"`
	// EventEndpointsAllowHTTP lets endpoints be plain http to any host;
	// otherwise http is only for loopback (a receiver on the same host).
	EventEndpointsAllowHTTP bool `envconfig:"EVENT_ENDPOINTS_ALLOW_HTTP" default:"false"`

	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"json"`

	// Operations (config/ops.go): the UI's public URL for links, the
	// worker's /metrics, and payload encryption with its codec endpoint.
	TemporalUIURL string `envconfig:"TEMPORAL_UI_URL"`
	// ConsoleSessionTTL is how long an admin console sign-in lasts (capped by the token's expiry).
	ConsoleSessionTTL time.Duration `envconfig:"CONSOLE_SESSION_TTL" default:"8h"`
	WorkerMetricsAddr string        `envconfig:"WORKER_METRICS_ADDR" default:"127.0.0.1:9091"`
	PayloadKeys       string        `envconfig:"PAYLOAD_KEYS" secret:"file"`
	PayloadKeyID      string        `envconfig:"PAYLOAD_KEY_ID"`
	CodecToken        string        `envconfig:"CODEC_TOKEN" secret:"file"`
	CodecCORSOrigins  string        `envconfig:"CODEC_CORS_ORIGINS"`

	// Webhook route protection (config/security.go): an optional source
	// allow-list, the proxies whose X-Forwarded-For is believed, and a
	// per-source rate limit (0 = none).
	WebhookAllowedIPs string  `envconfig:"WEBHOOK_ALLOWED_IPS"`
	TrustedProxies    string  `envconfig:"TRUSTED_PROXIES"`
	WebhookRateLimit  float64 `envconfig:"WEBHOOK_RATE_LIMIT" default:"50"`
	WebhookRateBurst  int     `envconfig:"WEBHOOK_RATE_BURST" default:"100"`
}

// Load reads the environment and checks the values that would otherwise
// fail late, in the middle of a payout.
func Load() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return Config{}, fmt.Errorf("read environment: %w", err)
	}
	if err := ReadSecretFiles(&c); err != nil {
		return Config{}, err
	}
	if err := c.check(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c Config) check() error {
	if err := c.checkHeleketURL(); err != nil {
		return err
	}
	if _, err := c.Limits(); err != nil {
		return err
	}
	if _, err := c.AdminTokenSet(); err != nil {
		return err
	}
	if _, err := c.Thresholds(); err != nil {
		return err
	}
	if c.WebhookWait <= 0 || c.PollInitial <= 0 || c.PollMax < c.PollInitial {
		return fmt.Errorf("PAYOUT_WEBHOOK_WAIT and PAYOUT_POLL_INITIAL must be positive and PAYOUT_POLL_MAX >= PAYOUT_POLL_INITIAL")
	}
	if c.DatabaseMaxConns < 0 {
		return fmt.Errorf("DATABASE_MAX_CONNS must not be negative (0 = pgx's default)")
	}
	if c.BatchPageSize < 0 {
		return fmt.Errorf("BATCH_PAGE_SIZE must not be negative (0 = the default)")
	}
	if _, err := c.GrpcCompression(); err != nil {
		return err
	}
	if err := c.checkOps(); err != nil {
		return err
	}
	if err := c.checkSecurity(); err != nil {
		return err
	}
	return c.checkReconcile()
}

// GrpcCompression is the compression of calls to Temporal.
func (c Config) GrpcCompression() (client.GrpcCompression, error) {
	switch c.TemporalCompression {
	case "none", "":
		return &client.GrpcCompressionNone{}, nil
	case "gzip":
		return &client.GrpcCompressionGzip{}, nil
	}
	return nil, fmt.Errorf("TEMPORAL_GRPC_COMPRESSION: want gzip or none, got %q", c.TemporalCompression)
}

// CallbackURL is where Heleket posts status webhooks.
func (c Config) CallbackURL() string {
	base := c.PublicBaseURL
	if base == "" {
		base = "http://" + c.HTTPAddr
	}
	return strings.TrimRight(base, "/") + "/payouts/webhook"
}

// Limits returns the per-payout maximum amounts.
func (c Config) Limits() (payout.Limits, error) {
	lim := payout.Limits{Max: map[string]decimal.Decimal{}}
	if c.MaxAmount != "" {
		d, err := decimal.NewFromString(c.MaxAmount)
		if err != nil || d.IsNegative() {
			return payout.Limits{}, fmt.Errorf("PAYOUT_MAX_AMOUNT: %q is not a non-negative decimal", c.MaxAmount)
		}
		lim.DefaultMax = d
	}
	if c.MaxAmounts != "" {
		m, err := payout.ParseLimits(c.MaxAmounts)
		if err != nil {
			return payout.Limits{}, fmt.Errorf("PAYOUT_MAX_AMOUNTS: %w", err)
		}
		lim.Max = m
	}
	return lim, nil
}

// Thresholds returns the per-asset amounts above which a payout needs a
// second admin's approval.
func (c Config) Thresholds() (map[string]decimal.Decimal, error) {
	if strings.TrimSpace(c.ApprovalThresholds) == "" {
		return map[string]decimal.Decimal{}, nil
	}
	m, err := payout.ParseLimits(c.ApprovalThresholds)
	if err != nil {
		return nil, fmt.Errorf("APPROVAL_THRESHOLDS: %w", err)
	}
	return m, nil
}
