package chaos

import (
	"context"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

// Faults is the sandbox's fault profile while the monkeys run.
func Faults() sandbox.Faults {
	return sandbox.Faults{
		ServerErrorRate: 0.20, RateLimitRate: 0.05, RetryAfter: time.Second,
		TimeoutRate: 0.02, LostResponseRate: 0.10,
		WebhookDropRate: 0.30, WebhookDuplicateRate: 0.30, WebhookReorder: true,
		WebhookDelay: 300 * time.Millisecond,
	}
}

// spike is the latency added to every Heleket call during a spike.
var spike = struct{ latency, jitter time.Duration }{1500 * time.Millisecond, time.Second}

// Monkeys inject the faults at random moments drawn from the seed: worker
// kills (some right after Heleket applied a create), API restarts (one
// instance of each at a time), Postgres connection cuts, Postgres
// restarts (the stack's own server), the Temporal server killed -9 and
// restarted, and latency spikes, on top of the sandbox's fault rates.
// The moments are seeded; how they fall against the payouts' progress
// depends on the machine.
type Monkeys struct {
	s      *Stack
	seed   int64
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	faultMu sync.Mutex
	spiking bool

	trapRng *lockedRand
	// springMu orders the trap's restarts with Calm's wait for them.
	springMu sync.Mutex
	calmed   bool

	// One worker and one api down at a time: the other instance carries
	// on. A monkey that finds its kind's lock taken lets this turn pass.
	workerDown, apiDown sync.Mutex

	workerKills, workerTerms, trapKills atomic.Int64
	apiKills, apiTerms, dbCuts          atomic.Int64
	spikes, temporalKills, pgRestarts   atomic.Int64
	downErrs                            atomic.Int64
}

// Unleash starts the monkeys.
func Unleash(s *Stack, seed int64) *Monkeys {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Monkeys{s: s, seed: seed, ctx: ctx, cancel: cancel, trapRng: newLockedRand(seed + 100)}
	m.applyFaults()
	s.Trap.Spring = m.killAfterCreate
	m.every(1, 4*time.Second, 12*time.Second, m.killWorker)
	m.every(2, 2*time.Second, 8*time.Second, func(*rand.Rand) { s.Trap.Arm() })
	m.every(3, 5*time.Second, 15*time.Second, m.restartAPI)
	m.every(4, 1500*time.Millisecond, 6*time.Second, m.cutDatabase)
	m.every(5, 4*time.Second, 12*time.Second, m.latencySpike)
	m.every(6, 15*time.Second, 30*time.Second, m.killTemporal)
	if s.PG != nil {
		m.every(7, 10*time.Second, 25*time.Second, m.restartPostgres)
	}
	return m
}

// pick draws one of the instances.
func pick(rng interface{ Int63n(int64) int64 }, procs []*Proc) *Proc {
	return procs[rng.Int63n(int64(len(procs)))]
}

// every runs act at random intervals in [lo, hi) until Calm.
func (m *Monkeys) every(k int64, lo, hi time.Duration, act func(*rand.Rand)) {
	rng := rand.New(rand.NewSource(m.seed + k))
	m.wg.Go(func() {
		for sleepCtx(m.ctx, between(rng, lo, hi)) {
			act(rng)
		}
	})
}

func between(rng interface{ Int63n(int64) int64 }, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int63n(int64(hi-lo)))
}

// down keeps a process down for a random moment, then starts it again.
// The pause ignores Calm on purpose: Calm waits for it, then starts
// everything anyway.
func (m *Monkeys) down(p *Proc, d time.Duration) {
	time.Sleep(d)
	_ = p.Start() // a failed start is retried by the next monkey or by Calm
}

func (m *Monkeys) killWorker(rng *rand.Rand) {
	if !m.workerDown.TryLock() {
		return
	}
	defer m.workerDown.Unlock()
	w := pick(rng, m.s.Workers)
	if rng.Intn(6) == 0 {
		if w.Term() {
			m.workerTerms.Add(1)
		}
	} else if w.Kill() {
		m.workerKills.Add(1)
	}
	m.down(w, between(rng, 100*time.Millisecond, 2*time.Second))
}

// killAfterCreate is the trap's spring: it runs inside the sandbox's
// handler, after the create was applied and before the worker hears of it.
func (m *Monkeys) killAfterCreate(string) {
	m.springMu.Lock()
	defer m.springMu.Unlock()
	if m.calmed || !m.workerDown.TryLock() {
		return
	}
	// Which worker sent the create is not known here: with two, the kill
	// hits it half the time, and otherwise the other one dies mid-work.
	w := pick(m.trapRng, m.s.Workers)
	if !w.Kill() {
		m.workerDown.Unlock()
		return
	}
	m.trapKills.Add(1)
	pause := between(m.trapRng, 200*time.Millisecond, 1500*time.Millisecond)
	m.wg.Go(func() {
		defer m.workerDown.Unlock()
		m.down(w, pause)
	})
}

func (m *Monkeys) restartAPI(rng *rand.Rand) {
	if !m.apiDown.TryLock() {
		return
	}
	defer m.apiDown.Unlock()
	a := pick(rng, m.s.APIs)
	if rng.Intn(2) == 0 {
		if a.Term() {
			m.apiTerms.Add(1)
		}
	} else if a.Kill() {
		m.apiKills.Add(1)
	}
	m.down(a, between(rng, 0, time.Second))
}

// killTemporal kills -9 the Temporal server and starts it again on the
// same database file a few seconds later: meanwhile the api answers 503
// to starts and the workers' polls fail until they reconnect.
func (m *Monkeys) killTemporal(rng *rand.Rand) {
	if m.s.KillTemporal() {
		m.temporalKills.Add(1)
	}
	time.Sleep(between(rng, time.Second, 4*time.Second))
	if err := m.s.StartTemporal(); err != nil {
		m.downErrs.Add(1) // Calm starts it again, and fails the run if it cannot
	}
}

// restartPostgres restarts the run's own PostgreSQL with pg_ctl -m
// immediate: every connection dies at once, and the server is back once
// it has recovered from its WAL.
func (m *Monkeys) restartPostgres(*rand.Rand) {
	if err := m.s.RestartPostgres(); err != nil {
		m.downErrs.Add(1)
		return
	}
	m.pgRestarts.Add(1)
}

// cutDatabase resets every connection to Postgres; half the time the
// proxy then refuses connections for a moment, as during a failover.
func (m *Monkeys) cutDatabase(rng *rand.Rand) {
	outage := rng.Intn(2) == 0
	if outage {
		m.s.Proxy.SetDown(true)
	}
	m.s.Proxy.Cut()
	m.dbCuts.Add(1)
	if outage {
		time.Sleep(between(rng, 200*time.Millisecond, 1500*time.Millisecond))
		m.s.Proxy.SetDown(false)
	}
}

func (m *Monkeys) latencySpike(rng *rand.Rand) {
	m.setSpike(true)
	m.spikes.Add(1)
	sleepCtx(m.ctx, between(rng, time.Second, 3*time.Second))
	m.setSpike(false)
}

func (m *Monkeys) setSpike(on bool) {
	m.faultMu.Lock()
	m.spiking = on
	m.faultMu.Unlock()
	m.applyFaults()
}

func (m *Monkeys) applyFaults() {
	m.faultMu.Lock()
	defer m.faultMu.Unlock()
	f := Faults()
	if m.spiking {
		f.Latency, f.LatencyJitter = spike.latency, spike.jitter
	}
	if m.ctx.Err() != nil {
		f = sandbox.Faults{}
	}
	m.s.Sandbox.SetFaults(f)
}

// Calm stops the monkeys and brings everything back: faults off, Postgres
// reachable, api and worker running.
func (m *Monkeys) Calm() error {
	m.cancel()
	m.s.Trap.Disarm()
	m.springMu.Lock()
	m.calmed = true
	m.springMu.Unlock()
	m.wg.Wait()
	m.applyFaults()
	m.s.Proxy.SetDown(false)
	if err := m.s.StartTemporal(); err != nil {
		return err
	}
	if m.s.PG != nil {
		if err := m.s.PG.Ensure(); err != nil {
			return err
		}
	}
	for _, p := range append(append([]*Proc{}, m.s.APIs...), m.s.Workers...) {
		if err := p.Start(); err != nil {
			return err
		}
	}
	return nil
}

// MonkeyStats counts what the monkeys did.
type MonkeyStats struct {
	WorkerKills, WorkerTerms, KillsAfterCreate int64
	APIKills, APITerms, DBCuts, LatencySpikes  int64
	TemporalKills, PostgresRestarts            int64
	// FailedRestarts: restarts of Temporal or Postgres that failed and
	// were left to the next turn or to Calm.
	FailedRestarts int64
}

// Stats returns the counters.
func (m *Monkeys) Stats() MonkeyStats {
	return MonkeyStats{
		WorkerKills: m.workerKills.Load(), WorkerTerms: m.workerTerms.Load(), KillsAfterCreate: m.trapKills.Load(),
		APIKills: m.apiKills.Load(), APITerms: m.apiTerms.Load(), DBCuts: m.dbCuts.Load(), LatencySpikes: m.spikes.Load(),
		TemporalKills: m.temporalKills.Load(), PostgresRestarts: m.pgRestarts.Load(), FailedRestarts: m.downErrs.Load(),
	}
}

// lockedRand is a seeded source shared by goroutines.
type lockedRand struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newLockedRand(seed int64) *lockedRand { return &lockedRand{rng: rand.New(rand.NewSource(seed))} }

func (r *lockedRand) Int63n(n int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Int63n(n)
}
