package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/workflows"
)

const (
	// campaignQueue runs the campaign's workflow and its page activities.
	campaignQueue = "bench-campaign"
	// parkedQueue is where the campaign's payouts are started: no worker
	// polls it, so their workflows wait there and the run measures
	// starting alone, not paying 100,000 payouts at the product's 40/s.
	parkedQueue = "bench-payouts-parked"
	// startsInFlight is how many starts the engine's burst keeps in
	// flight: as many as one page of a campaign does
	// (activities.batchStartConcurrency).
	startsInFlight = 16
)

// CampaignOptions of one campaign run (payouts bench -batch).
type CampaignOptions struct {
	Rows        int // rows of the CSV
	PageSize    int // rows per page of the campaign's workflow; 0 is its default
	CeilingRuns int // plain workflow starts in each engine burst; 0: min(Rows, 5000)
	// For bounds the time spent starting rows; 0 waits for every row.
	// When it runs out the campaign is paused through the API and the
	// figures cover the rows started until then.
	For         time.Duration
	DatabaseURL string    // server on which a fresh database is made
	Progress    io.Writer // progress bars; nil for none
}

// CampaignResult holds the figures of a campaign run. Rates and sizes are
// float64: they are not money.
type CampaignResult struct {
	Rows     int     `json:"rows"`
	CPUs     int     `json:"cpus"`
	CSVBytes int     `json:"csv_bytes"`
	PageSize int     `json:"page_size"`
	AcceptS  float64 `json:"accept_seconds"` // POST /payouts/batch until its 202
	// AcceptedPerSec is Rows / AcceptS.
	AcceptedPerSec float64 `json:"accepted_rows_per_sec"`
	// FirstStartS is from the 202 to the first payout workflow started.
	FirstStartS float64 `json:"first_start_seconds"`
	// Where the acceptance went: the statements the API sent and the time
	// it waited for them, the slow ones, and the CPU of each process
	// (total ms, not per row).
	AcceptSQL      int             `json:"accept_sql_statements"`
	AcceptSQLWaitS float64         `json:"accept_sql_wait_seconds"`
	AcceptSlowSQL  []SlowStatement `json:"accept_slow_sql"` // over 100 ms, in the order they ended
	AcceptCPU      CPUCost         `json:"accept_cpu_ms"`
	// Peaks while the request is handled, sampled ten times a second.
	AcceptPeakRSSMiB  float64 `json:"accept_peak_rss_mib"`
	AcceptPeakHeapMiB float64 `json:"accept_peak_heap_mib"`
	Started           int     `json:"started"`
	// Bounded says the run stopped starting at CampaignOptions.For, with
	// Started < Rows.
	Bounded  bool    `json:"bounded"`
	StartS   float64 `json:"start_seconds"` // first to last start
	StartsPS float64 `json:"starts_per_sec"`
	// FirstHalfPS and SecondHalfPS are the start rate over each half of
	// the rows started: a rate that fell as the engine fills up shows here.
	FirstHalfPS    float64 `json:"starts_per_sec_first_half"`
	SecondHalfPS   float64 `json:"starts_per_sec_second_half"`
	CeilingRuns    int     `json:"ceiling_starts"`
	CeilingPS      float64 `json:"ceiling_starts_per_sec"`       // before the campaign
	CeilingAfterPS float64 `json:"ceiling_after_starts_per_sec"` // after it, on the fuller engine
	Ratio          float64 `json:"ratio"`                        // StartsPS / mean of the two ceilings
	CeilingCPU     CPUCost `json:"ceiling_cpu_per_start"`
	CampaignCPU    CPUCost `json:"campaign_cpu_per_start"`
	// Memory of this process (API, worker: what parses, stores and starts
	// the rows) and of the dev server, sampled once a second.
	Memory        []MemorySample `json:"memory"`
	HeapBeforeMiB float64        `json:"heap_before_mib"` // live heap before the POST
	Heap          Spread         `json:"heap_while_starting_mib"`
	RSS           Spread         `json:"rss_while_starting_mib"`
	DevServerRSS  Spread         `json:"dev_server_rss_while_starting_mib"`
	// Runs of the campaign's workflow (continue-as-new) and the history
	// length of each, first to last.
	Runs           int   `json:"workflow_runs"`
	HistoryPerRun  []int `json:"history_events_per_run"`
	HistoryBound   int   `json:"history_bound"`
	PayoutsAreRun  bool  `json:"payouts_are_run"`
	CampaignPaused bool  `json:"campaign_paused"`
}

// MemorySample is one second of the run.
type MemorySample struct {
	AtS          float64 `json:"at_seconds"` // since the 202
	Started      int64   `json:"started"`
	HeapMiB      float64 `json:"heap_live_mib"` // live heap at the last collection
	RSSMiB       float64 `json:"rss_mib"`
	DevServerMiB float64 `json:"dev_server_rss_mib"`
}

// Spread summarises samples: the two halves' means show a trend, the peak
// a spike.
type Spread struct {
	Median     float64 `json:"median"`
	Peak       float64 `json:"peak"`
	FirstHalf  float64 `json:"first_half_mean"`
	SecondHalf float64 `json:"second_half_mean"`
}

// historyBound is workflows.maxHistory: a run continues as new past it.
const historyBound = 2000

// RunCampaign posts one CSV campaign of o.Rows rows to the API over HTTP,
// times its acceptance, then the starts of its payout workflows against
// the engine's own start rate, sampling memory as they start.
func RunCampaign(ctx context.Context, o CampaignOptions) (res CampaignResult, err error) {
	if o.Rows <= 0 {
		return CampaignResult{}, errors.New("bench: -batch needs a positive number of rows")
	}
	if o.CeilingRuns <= 0 {
		o.CeilingRuns = min(o.Rows, 5000)
	}
	e, c, err := startCampaignEnv(ctx, o)
	if err != nil {
		return CampaignResult{}, err
	}
	defer func() {
		if cerr := e.close(); cerr != nil && err == nil {
			err = fmt.Errorf("bench: stop: %w", cerr)
		}
	}()
	res = CampaignResult{Rows: o.Rows, CPUs: runtime.NumCPU(), PageSize: o.PageSize, CeilingRuns: o.CeilingRuns,
		HistoryBound: historyBound}
	if res.PageSize == 0 {
		res.PageSize = 500 // workflows.batchPageSize
	}
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	cpu := e.cpuMeter()

	var burst time.Duration
	res.CeilingCPU, err = cpu.measure(o.CeilingRuns, func() (err error) {
		burst, err = c.engineStarts(ctx, o, runID+"-before")
		return err
	})
	if err != nil {
		return CampaignResult{}, err
	}
	res.CeilingPS = float64(o.CeilingRuns) / burst.Seconds()

	body := campaignCSV(o.Rows)
	res.CSVBytes = len(body)
	runtime.GC() // the CSV is built; what is left is the stack at rest
	res.HeapBeforeMiB = liveHeapMiB()
	before, err := cpu.sample()
	if err != nil {
		return CampaignResult{}, err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "posting a %d-row CSV campaign (%.1f MiB)...\n", o.Rows, float64(len(body))/(1<<20))
	}
	sqlBefore, waitBefore := c.sql.n.Load(), c.sql.wait.Load()
	c.sql.takeSlow()
	peak := watchPeak()
	posted := time.Now()
	batchID, err := c.postCampaign(ctx, runID, body)
	if err != nil {
		return CampaignResult{}, err
	}
	accepted := time.Now()
	res.AcceptPeakRSSMiB, res.AcceptPeakHeapMiB = peak()
	res.AcceptSQL = int(c.sql.n.Load() - sqlBefore)
	res.AcceptSQLWaitS = time.Duration(c.sql.wait.Load() - waitBefore).Seconds()
	res.AcceptSlowSQL = c.sql.takeSlow()
	if acceptCPU, err := cpu.sample(); err == nil {
		res.AcceptCPU = cpu.cost(before, acceptCPU, 1)
	}
	// One collection now, or the live heap would read the request's until
	// the next one: at the pace rows start that can take half a minute.
	runtime.GC()
	res.AcceptS = accepted.Sub(posted).Seconds()
	res.AcceptedPerSec = float64(o.Rows) / res.AcceptS

	if err := c.watchStarts(ctx, o, batchID, accepted, &res); err != nil {
		return CampaignResult{}, err
	}
	after, err := cpu.sample()
	if err != nil {
		return CampaignResult{}, err
	}
	res.CampaignCPU = cpu.cost(before, after, max(res.Started, 1))
	if res.Runs, res.HistoryPerRun, err = c.campaignRuns(ctx, batchID); err != nil {
		return CampaignResult{}, err
	}

	burst, err = c.engineStarts(ctx, o, runID+"-after")
	if err != nil {
		return CampaignResult{}, err
	}
	res.CeilingAfterPS = float64(o.CeilingRuns) / burst.Seconds()
	res.Ratio = res.StartsPS / ((res.CeilingPS + res.CeilingAfterPS) / 2)
	return res, nil
}

// campaignEnv is the stack of the plain benchmark with the campaign's
// wiring: the API's service starts campaigns on campaignQueue, whose
// worker starts their payouts, through the gate, on parkedQueue.
type campaignEnv struct {
	*env
	parked *usecase.Service
	starts *countingStarter
}

func startCampaignEnv(ctx context.Context, o CampaignOptions) (*env, *campaignEnv, error) {
	e := &env{sql: &sqlCounter{}, users: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: startsInFlight}}}
	c := &campaignEnv{env: e}
	base := Options{Concurrency: startsInFlight, DatabaseURL: o.DatabaseURL}
	steps := []func(context.Context, Options) error{e.startTemporal, e.startDatabase, e.startSandbox,
		func(ctx context.Context, _ Options) error { return c.startStack(ctx, o) }}
	for _, step := range steps {
		if err := step(ctx, base); err != nil {
			return nil, nil, errors.Join(err, e.close())
		}
	}
	return e, c, nil
}

func (c *campaignEnv) startStack(ctx context.Context, o CampaignOptions) error {
	timing := workflows.Timing{WebhookWait: webhookWaitBase, PollInitial: time.Second, PollMax: time.Minute}
	policy, err := policyFromEnv()
	if err != nil {
		return err
	}
	api, err := usecase.New(ctx, usecase.Deps{Store: c.store, Temporal: c.client, TaskQueue: campaignQueue,
		Timing: timing, Policy: policy, Logger: quiet(), BatchPageSize: o.PageSize})
	if err != nil {
		return err
	}
	c.parked, err = usecase.New(ctx, usecase.Deps{Store: c.store, Temporal: c.client, TaskQueue: parkedQueue,
		Timing: timing, Policy: policy, Logger: quiet()})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.apiURL = "http://" + listener.Addr().String()
	c.api = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: httpapi.New(httpapi.Deps{Service: api,
		Store: c.store, HeleketAPIKey: benchKey, AdminTokens: []access.Credential{access.NewCredential(benchAdminName, benchToken, nil, time.Time{})}, Logger: quiet()})}
	go func() { _ = c.api.Serve(listener) }() // Serve ends with ErrServerClosed at close

	hc, err := heleket.New(heleket.Config{BaseURL: c.sandbox.URL(), MerchantID: benchMerchant, APIKey: benchKey})
	if err != nil {
		return err
	}
	c.starts = &countingStarter{inner: c.parked.Workflows(), times: make([]int64, o.Rows)}
	acts := &activities.Activities{Store: c.store, Heleket: hc, CallbackURL: c.apiURL + "/payouts/webhook",
		Logger: quiet(), Gate: c.parked.Gate(), Batches: c.store, Starter: c.starts}
	w := payoutworker.New(c.client, campaignQueue, acts, worker.Options{})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	c.workers = append(c.workers, w)
	return nil
}

// countingStarter records when each payout workflow of the campaign is
// started, in this process. times is allocated before the campaign, so the
// record does not show as memory growing with rows started.
type countingStarter struct {
	inner activities.PayoutStarter
	n     atomic.Int64
	times []int64 // unix nanoseconds, in the order the starts returned
}

func (s *countingStarter) Start(ctx context.Context, p payout.Payout, from string) (client.WorkflowRun, error) {
	run, err := s.inner.Start(ctx, p, from)
	if err != nil {
		return run, err
	}
	// A page retried after a failure joins the rows it had started: they
	// count again, and only the first len(times) are timed.
	if i := s.n.Add(1) - 1; i < int64(len(s.times)) {
		atomic.StoreInt64(&s.times[i], time.Now().UnixNano())
	}
	return run, nil
}

// engineStarts is the engine's start rate for this request: the very
// start the campaign's activity sends for a row (the payout workflow type,
// its options, memo, search attributes and input, through the same
// client), without the gate and the database, startsInFlight at a time.
func (c *campaignEnv) engineStarts(ctx context.Context, o CampaignOptions, tag string) (time.Duration, error) {
	st := c.parked.Workflows()
	now := time.Now()
	return pool(ctx, Options{N: o.CeilingRuns, Concurrency: startsInFlight, Progress: o.Progress}, "engine starts",
		func(i int) error {
			p := payout.Payout{ID: "ceiling-" + tag + "-" + strconv.Itoa(i), ClientID: "bench-" + strconv.Itoa(i),
				Asset: "USDT", Network: "tron", Amount: rowAmount(i), Address: benchAddress, Origin: payout.OriginBonus,
				Status: payout.StatusRequested, IsSubtract: true, RequestedBy: benchAdminName, CreatedAt: now, UpdatedAt: now}
			if _, err := c.client.ExecuteWorkflow(ctx, st.Options(p), workflows.PayoutWorkflowName, st.Input(p)); err != nil {
				return fmt.Errorf("engine start: %w", err)
			}
			return nil
		})
}

const benchAddress = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

// rowAmount is 1.00 to 9.99 USDT: exact decimals, never floats.
func rowAmount(i int) decimal.Decimal { return decimal.New(int64(100+i%900), -2) }

// campaignCSV is a campaign as an operator exports it: a client per row,
// every row with its address, amounts that vary.
func campaignCSV(rows int) []byte {
	var b bytes.Buffer
	b.Grow(rows * 64)
	b.WriteString("client_id,asset,network,amount,address\n")
	for i := range rows {
		fmt.Fprintf(&b, "bench-%d,USDT,tron,%s,%s\n", i, rowAmount(i).String(), benchAddress)
	}
	return b.Bytes()
}

func (c *campaignEnv) postCampaign(ctx context.Context, runID string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL+"/payouts/batch", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Idempotency-Key", "bench-campaign-"+runID)
	resp, err := c.users.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST /payouts/batch: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	}
	data, _ := io.ReadAll(resp.Body) // a short read shows in the decode below
	if err := json.Unmarshal(data, &out); err != nil || resp.StatusCode != http.StatusAccepted || out.ID == "" {
		return "", fmt.Errorf("POST /payouts/batch: HTTP %d %s (%v): %.300s", resp.StatusCode, out.Error, err, data)
	}
	return out.ID, nil
}

// policyFromEnv is the benchmark's payout policy: the money controls
// (CLIENT_DAILY_LIMITS, DAILY_OUTFLOW_LIMITS, NEW_ADDRESS_POLICY,
// WALLET_CHANGE_COOLDOWN, ADDRESS_DENYLIST_FILE) and APPROVAL_THRESHOLDS
// read from the environment as the binary reads them, so a campaign can be
// measured with them on.
func policyFromEnv() (gate.Policy, error) {
	controls, err := config.LoadControls()
	if err != nil {
		return gate.Policy{}, err
	}
	thresholds, err := config.Config{ApprovalThresholds: os.Getenv("APPROVAL_THRESHOLDS")}.Thresholds()
	if err != nil {
		return gate.Policy{}, err
	}
	return gate.Policy{FeeFromBalance: true, ApprovalThresholds: thresholds,
		ClientDailyLimits: controls.ClientDailyLimits, DailyOutflowLimits: controls.DailyOutflowLimits,
		NewAddressPolicy: controls.NewAddressPolicy, WalletCooldown: controls.WalletChangeCooldown,
		Denylist: gate.NewDenylist(controls.Denylist)}, nil
}
