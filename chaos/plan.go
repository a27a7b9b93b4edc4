package chaos

import (
	"encoding/json"
	"fmt"
	"math/rand"

	"github.com/heleket-payouts/payouts/payout"
)

// DupMode says whether a payout request is sent twice.
type DupMode int

const (
	DupNone       DupMode = iota
	DupSequential         // again after the first was accepted
	DupConcurrent         // twice at the same moment
)

// Item is one payout the run asks for.
type Item struct {
	Index    int
	ClientID string
	Key      string // Idempotency-Key
	Asset    string
	Network  string
	Amount   string // decimal string: money never passes through a float
	Address  string
	WantFail bool // sent to an address the sandbox fails
	Dup      DupMode
	ID       string // the payout ID the API must derive
}

// Body is the JSON of POST /clients/{client_id}/payout.
func (it Item) Body() []byte {
	b, _ := json.Marshal(map[string]string{ // a map of strings always encodes
		"asset": it.Asset, "network": it.Network, "amount": it.Amount, "address": it.Address,
	})
	return b
}

// Plan is the run's payouts, all drawn from the seed.
type Plan struct {
	Items         []Item
	FailAddresses []string
}

// route is a payout route with its address shape and amount range (in
// whole units; cents are added).
type route struct {
	asset, network string
	address        func(*rand.Rand) string
	min, max       int
}

// routes mix fees (fixed and percentage) and currencies, so the balance
// check covers more than one rule.
var routes = []route{
	{"USDT", "tron", tronAddress, 10, 500},
	{"USDT", "bsc", evmAddress, 10, 500},
	{"USDT", "polygon", evmAddress, 10, 500},
	{"TRX", "tron", tronAddress, 10, 5000},
}

const (
	failEvery = 20   // every 20th payout goes to an address forced to fail
	dupRate   = 0.10 // share of requests sent twice
)

// NewPlan draws n payouts from seed; their IDs are the installation's.
func NewPlan(installation string, seed int64, n int) Plan {
	rng := rand.New(rand.NewSource(seed))
	plan := Plan{FailAddresses: []string{tronAddress(rng), tronAddress(rng), tronAddress(rng)}}
	for i := range n {
		plan.Items = append(plan.Items, newItem(rng, installation, seed, i, plan.FailAddresses))
	}
	return plan
}

func newItem(rng *rand.Rand, installation string, seed int64, i int, failAddresses []string) Item {
	r := routes[rng.Intn(len(routes))]
	it := Item{
		Index: i, ClientID: fmt.Sprintf("chaos-%d", i%17), Key: fmt.Sprintf("chaos-%d-%d", seed, i),
		Asset: r.asset, Network: r.network, Address: r.address(rng),
		Amount: fmt.Sprintf("%d.%02d", r.min+rng.Intn(r.max-r.min), rng.Intn(100)),
	}
	if i%failEvery == failEvery/3 {
		it.Asset, it.Network, it.Address, it.WantFail = "USDT", "tron", failAddresses[i%len(failAddresses)], true
	}
	if rng.Float64() < dupRate {
		it.Dup = DupSequential + DupMode(rng.Intn(2))
	}
	it.ID = payout.DeriveID(installation, "api", it.ClientID, it.Key)
	return it
}

const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func tronAddress(rng *rand.Rand) string {
	b := []byte{'T'}
	for range 33 {
		b = append(b, base58[rng.Intn(len(base58))])
	}
	return string(b)
}

func evmAddress(rng *rand.Rand) string {
	const hexDigits = "0123456789abcdef"
	b := []byte("0x")
	for range 40 {
		b = append(b, hexDigits[rng.Intn(16)])
	}
	return string(b)
}

// IDs returns the payout IDs of the plan.
func (p Plan) IDs() []string {
	ids := make([]string, len(p.Items))
	for i, it := range p.Items {
		ids[i] = it.ID
	}
	return ids
}
