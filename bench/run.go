package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// Options of one benchmark run.
type Options struct {
	N           int       // payouts (and ceiling workflows)
	Concurrency int       // requests in flight, the same for both phases
	DatabaseURL string    // server on which a fresh database is made
	Progress    io.Writer // progress bars; nil for none
	// Temporal is the shape of the Temporal the run starts: TemporalDev
	// (the default) or TemporalPostgres with TemporalShards history shards.
	Temporal       string
	TemporalShards int
	// TemporalAddress, when set, is an existing Temporal frontend to run
	// on instead (in TemporalNamespace, "" for default), with the payouts
	// search attributes registered; its CPU is not measured.
	TemporalAddress, TemporalNamespace string
	// Events subscribes a receiver of every outbound event: EventsOff
	// (none), EventsOK or EventsHang, to measure what deliveries cost the
	// payouts.
	Events string
}

// The shapes of Temporal a run can start.
const (
	TemporalDev      = "dev"      // the dev server on in-memory SQLite, one shard
	TemporalPostgres = "postgres" // the dev server on PostgreSQL, as production runs Temporal
)

// Result holds the figures of one run. Rates are float64: they are not money.
type Result struct {
	Temporal                  string             `json:"temporal"` // the shape measured
	Payouts                   int                `json:"payouts"`
	Concurrency               int                `json:"concurrency"`
	CPUs                      int                `json:"cpus"`
	PayoutsPerSec             float64            `json:"payouts_per_sec"`
	CeilingPerSec             float64            `json:"ceiling_per_sec"`
	Ratio                     float64            `json:"ratio"`
	AcceptP50Ms               float64            `json:"accept_p50_ms"`
	AcceptP95Ms               float64            `json:"accept_p95_ms"`
	AcceptP99Ms               float64            `json:"accept_p99_ms"`
	P50Ms                     float64            `json:"p50_ms"`
	P95Ms                     float64            `json:"p95_ms"`
	P99Ms                     float64            `json:"p99_ms"`
	HeleketCallsPerPayout     float64            `json:"heleket_calls_per_payout"`
	HeleketCallsByEndpoint    map[string]float64 `json:"heleket_calls_by_endpoint"`
	PollsPerPayout            float64            `json:"polls_per_payout"`
	WebhooksPerPayout         float64            `json:"webhooks_per_payout"` // posts by the sandbox, redeliveries included
	WebhookRetriesPerPayout   float64            `json:"webhook_retries_per_payout"`
	HistoryEventsPerPayout    float64            `json:"history_events_per_payout"`
	HistoryBytesPerPayout     float64            `json:"history_bytes_per_payout"`
	StateTransitionsPerPayout float64            `json:"state_transitions_per_payout"`
	SQLStatementsPerPayout    float64            `json:"sql_statements_per_payout"`
	CeilingHistoryEvents      float64            `json:"ceiling_history_events"`
	CeilingStateTransitions   float64            `json:"ceiling_state_transitions"`
	NotPaid                   int                `json:"not_paid"`
	Events                    string             `json:"events,omitempty"`          // the receiver subscribed
	EventsReceived            int64              `json:"events_received,omitempty"` // when the payouts were final
	CeilingCPU                CPUCost            `json:"ceiling_cpu_per_workflow"`
	ProductCPU                CPUCost            `json:"product_cpu_per_payout"`
}

// Run starts everything the benchmark needs, measures the ceiling, then
// the product, then the per-payout costs, and stops it all.
func Run(ctx context.Context, o Options) (res Result, err error) {
	if o.N <= 0 || o.Concurrency <= 0 {
		return Result{}, fmt.Errorf("bench: N and concurrency must be positive")
	}
	e, err := start(ctx, o)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if cerr := e.close(); cerr != nil && err == nil {
			err = fmt.Errorf("bench: stop: %w", cerr)
		}
	}()
	res = Result{Temporal: o.shape(), Payouts: o.N, Concurrency: o.Concurrency, CPUs: runtime.NumCPU()}
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)

	cpu := e.cpuMeter()
	var ceilingIDs []string
	var ceilingTime time.Duration
	res.CeilingCPU, err = cpu.measure(o.N, func() (err error) {
		ceilingIDs, ceilingTime, err = e.ceiling(ctx, o, runID)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.CeilingPerSec = float64(o.N) / ceilingTime.Seconds()

	e.sql.n.Store(0)
	var p *productRun
	res.ProductCPU, err = cpu.measure(o.N, func() (err error) {
		p, err = e.product(ctx, o, runID)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.PayoutsPerSec = float64(o.N) / p.elapsed.Seconds()
	res.Ratio = res.PayoutsPerSec / res.CeilingPerSec
	res.SQLStatementsPerPayout = float64(e.sql.n.Load()) / float64(o.N)
	res.PollsPerPayout = float64(p.polls) / float64(o.N)
	res.NotPaid = p.notPaid
	if res.Events = o.Events; e.receiver != nil {
		res.EventsReceived = e.receiver.received.Load()
	}
	accept, final := sortedCopy(p.accept), sortedCopy(p.final)
	res.AcceptP50Ms, res.AcceptP95Ms, res.AcceptP99Ms = percentile(accept, .5), percentile(accept, .95), percentile(accept, .99)
	res.P50Ms, res.P95Ms, res.P99Ms = percentile(final, .5), percentile(final, .95), percentile(final, .99)
	e.heleketCalls(&res, o.N)
	return res, e.historyCosts(ctx, &res, p.workflowIDs, ceilingIDs)
}

func (e *env) ceiling(ctx context.Context, o Options, runID string) ([]string, time.Duration, error) {
	ids := make([]string, o.N)
	elapsed, err := pool(ctx, o, "engine ceiling", func(i int) error {
		id := "ceiling-" + runID + "-" + strconv.Itoa(i)
		ids[i] = id
		run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: ceilingQueue}, "Ceiling")
		if err != nil {
			return fmt.Errorf("start ceiling workflow: %w", err)
		}
		for range 2 {
			if err := e.client.SignalWorkflow(ctx, id, "", ceilingSignal, nil); err != nil {
				return fmt.Errorf("signal ceiling workflow: %w", err)
			}
		}
		return run.Get(ctx, nil)
	})
	return ids, elapsed, err
}

type productRun struct {
	elapsed       time.Duration
	accept, final []time.Duration
	workflowIDs   []string
	polls         int64
	notPaid       int
}

func (e *env) product(ctx context.Context, o Options, runID string) (*productRun, error) {
	p := &productRun{accept: make([]time.Duration, o.N), final: make([]time.Duration, o.N), workflowIDs: make([]string, o.N)}
	var mu sync.Mutex
	elapsed, err := pool(ctx, o, "payouts", func(i int) error {
		began := time.Now()
		id, err := e.requestPayout(ctx, runID, i)
		if err != nil {
			return err
		}
		p.accept[i] = time.Since(began)
		p.workflowIDs[i] = payout.WorkflowID(id)
		var st workflows.PayoutState
		if err := e.client.GetWorkflow(ctx, p.workflowIDs[i], "").Get(ctx, &st); err != nil {
			return fmt.Errorf("payout %s: %w", id, err)
		}
		p.final[i] = time.Since(began)
		mu.Lock()
		defer mu.Unlock()
		p.polls += int64(st.Polls)
		if st.Status != payout.StatusPaid {
			p.notPaid++
		}
		return nil
	})
	p.elapsed = elapsed
	return p, err
}

func (e *env) requestPayout(ctx context.Context, runID string, i int) (string, error) {
	body := []byte(`{"asset":"USDT","network":"tron","amount":"10.5","address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.apiURL+"/clients/bench-"+strconv.Itoa(i%97)+"/payout", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", runID+"-"+strconv.Itoa(i))
	resp, err := e.users.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST payout: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("POST payout: HTTP %d %s (%v)", resp.StatusCode, out.Error, err)
	}
	return out.ID, nil
}

func (e *env) heleketCalls(res *Result, n int) {
	res.HeleketCallsByEndpoint = map[string]float64{}
	total := 0
	for path, count := range e.sandbox.Stats().Calls {
		res.HeleketCallsByEndpoint[path] = float64(count) / float64(n)
		total += count
	}
	res.HeleketCallsPerPayout = float64(total) / float64(n)
	st := e.sandbox.Stats()
	res.WebhooksPerPayout = float64(st.WebhooksSent) / float64(n)
	res.WebhookRetriesPerPayout = float64(st.WebhooksSent-st.WebhooksDelivered) / float64(n)
}

// historyCosts reads a sample of histories: the counts are the same for
// every payout on the happy path, so a sample gives the per-payout figure.
func (e *env) historyCosts(ctx context.Context, res *Result, product, ceiling []string) error {
	events, size, transitions, err := e.histories(ctx, sample(product, 50))
	if err != nil {
		return err
	}
	res.HistoryEventsPerPayout, res.HistoryBytesPerPayout, res.StateTransitionsPerPayout = events, size, transitions
	res.CeilingHistoryEvents, _, res.CeilingStateTransitions, err = e.histories(ctx, sample(ceiling, 20))
	return err
}

func (e *env) histories(ctx context.Context, ids []string) (events, size, transitions float64, err error) {
	for _, id := range ids {
		iter := e.client.GetWorkflowHistory(ctx, id, "", false, 0)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return 0, 0, 0, fmt.Errorf("history of %s: %w", id, err)
			}
			events++
			size += float64(proto.Size(ev))
		}
		desc, err := e.client.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return 0, 0, 0, fmt.Errorf("describe %s: %w", id, err)
		}
		transitions += float64(desc.GetWorkflowExecutionInfo().GetStateTransitionCount())
	}
	n := float64(len(ids))
	return events / n, size / n, transitions / n, nil
}

func sample(ids []string, n int) []string {
	if len(ids) <= n {
		return ids
	}
	step := len(ids) / n
	out := make([]string, 0, n)
	for i := 0; i < len(ids) && len(out) < n; i += step {
		out = append(out, ids[i])
	}
	return out
}

// pool runs fn for 0..N-1 with o.Concurrency in flight and a progress bar.
func pool(ctx context.Context, o Options, label string, fn func(i int) error) (time.Duration, error) {
	var next, done atomic.Int64
	var firstErr error
	var once sync.Once
	bar := newProgress(o.Progress, label, o.N)
	began := time.Now()
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= o.N || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				bar.set(int(done.Add(1)))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	bar.finish()
	return elapsed, firstErr
}

// shape describes the Temporal of the run.
func (o Options) shape() string {
	switch {
	case o.TemporalAddress != "":
		ns := o.TemporalNamespace
		if ns == "" {
			ns = "default"
		}
		return "Temporal at " + o.TemporalAddress + ", namespace " + ns
	case o.Temporal == TemporalPostgres:
		shards := o.TemporalShards
		if shards == 0 {
			shards = devtemporal.DefaultShards
		}
		return fmt.Sprintf("dev server on PostgreSQL, %d history shards", shards)
	default:
		return "dev server on SQLite (in memory), 1 history shard"
	}
}
