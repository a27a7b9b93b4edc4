package gate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// New-address policies (NEW_ADDRESS_POLICY): what happens to a payout to
// an address that is neither one of the client's wallets nor one it was
// paid to before.
const (
	NewAddressAllow   = "allow"
	NewAddressApprove = "approve"
	NewAddressRefuse  = "refuse"
)

// Kinds of refusal, the label of payouts_gate_refusals_total.
const (
	RefusedDenylist      = "denylist"
	RefusedClientLimit   = "client_daily_limit"
	RefusedOutflowLimit  = "daily_outflow_limit"
	RefusedNewAddress    = "new_address"
	RefusedWalletOff     = "wallet_disabled"
	RefusedInvalid       = "invalid"
	RefusedNoWallet      = "no_default_wallet"
	approverRole         = "approver"
	awaitingApprovalText = "awaiting a second admin's approval"
)

// Payouts is where the gate stores what it makes (the store): the
// decisions that depend on what else was paid are taken inside the
// transaction that stores the payout.
type Payouts interface {
	CreatePayoutChecked(ctx context.Context, p payout.Payout, actor string, details map[string]any, c store.Check) (payout.Payout, bool, error)
	CreateBatchChecked(ctx context.Context, b store.Batch, payouts []payout.Payout, c store.BatchCheck) (store.Batch, bool, error)
}

// Denylist is the set of addresses no payout may go to
// (ADDRESS_DENYLIST_FILE). EVM addresses compare without case.
type Denylist map[string]bool

// NewDenylist builds the set from one address per entry.
func NewDenylist(addresses []string) Denylist {
	d := Denylist{}
	for _, a := range addresses {
		if a = strings.TrimSpace(a); a != "" {
			d[denyKey(a)] = true
		}
	}
	return d
}

// Contains says whether the address is listed.
func (d Denylist) Contains(address string) bool { return d[denyKey(address)] }

func denyKey(a string) string {
	if strings.HasPrefix(strings.ToLower(a), "0x") {
		return strings.ToLower(a)
	}
	return a
}

// Make stores a payout the gate made (an API request's, a schedule run's),
// with the controls that depend on what else was paid decided in the same
// transaction: the hard caps (refused, nothing stored), the approval the
// client's 24 h total needs, and the destination rules. A payout that
// exists is returned as it was decided when it was made (a repeat).
func (g *Gate) Make(ctx context.Context, p payout.Payout, from, actor string, details map[string]any, preApproved bool) (payout.Payout, bool, error) {
	if r := g.denied(p.Address, from); r != nil {
		return payout.Payout{}, false, r
	}
	c := store.Check{
		ClientTotal: has(g.Policy.ClientDailyLimits, p.Asset) || (!preApproved && has(g.Policy.ApprovalThresholds, p.Asset)),
		AllTotal:    has(g.Policy.DailyOutflowLimits, p.Asset),
		Destination: true,
		PaidBefore:  g.newAddressRule(),
		Decide: func(p payout.Payout, f store.Facts) (payout.Payout, error) {
			return g.decide(p, f, from, preApproved)
		},
	}
	stored, created, err := g.Payouts.CreatePayoutChecked(ctx, p, actor, details, c)
	if err != nil {
		return payout.Payout{}, false, err
	}
	return stored, created, nil
}

// decide applies, in order, the hard caps, the destination rules and the
// approval thresholds to a payout, with the facts read under the locks.
func (g *Gate) decide(p payout.Payout, f store.Facts, from string, preApproved bool) (payout.Payout, error) {
	if r := g.overCap(p, f.Outflow); r != nil {
		return refuse(from, r)
	}
	hold, r := g.destination(p, f)
	if r != nil {
		return refuse(from, r)
	}
	var reasons []string
	kind := payout.WaitApproval
	if hold != "" {
		kind, reasons = payout.WaitDestination, append(reasons, hold)
	}
	if !preApproved {
		reasons = append(reasons, g.approvalReasons(p, f.Outflow.Client)...)
	}
	return holdFor(p, kind, reasons), nil
}

// holdFor puts a payout on hold for the reasons, or leaves its status as the
// gate made it; a payout made awaiting approval without a reason here (a
// schedule made when each run needed approval) says so.
func holdFor(p payout.Payout, kind payout.WaitKind, reasons []string) payout.Payout {
	if len(reasons) == 0 {
		if p.Status == payout.StatusAwaitingApproval {
			p.WaitingFor = &payout.Waiting{Kind: payout.WaitApproval, Reason: awaitingApprovalText, Role: approverRole}
			return p
		}
		p.Status = payout.StatusRequested
		return p
	}
	p.Status = payout.StatusAwaitingApproval
	p.WaitingFor = &payout.Waiting{Kind: kind, Reason: strings.Join(reasons, "; "), Role: approverRole}
	return p
}

func refuse(from string, r *Refusal) (payout.Payout, error) {
	metrics.GateRefused(from)
	metrics.GateRefusal(r.Kind)
	return payout.Payout{}, r
}

// overCap refuses a payout that would take its client's, or everyone's, 24
// h total in the asset past a hard cap.
func (g *Gate) overCap(p payout.Payout, out store.Outflow) *Refusal {
	if limit, ok := g.Policy.ClientDailyLimits[p.Asset]; ok {
		if total := out.Client.Add(p.Amount); total.GreaterThan(limit) {
			return capRefusal(RefusedClientLimit, fmt.Sprintf("client %s's 24 h total would be %s %s, over its daily limit of %s",
				p.ClientID, Amount(total), p.Asset, Amount(limit)))
		}
	}
	if limit, ok := g.Policy.DailyOutflowLimits[p.Asset]; ok {
		if total := out.All.Add(p.Amount); total.GreaterThan(limit) {
			return capRefusal(RefusedOutflowLimit, fmt.Sprintf("the 24 h total of all clients would be %s %s, over the daily outflow limit of %s",
				Amount(total), p.Asset, Amount(limit)))
		}
	}
	return nil
}

func capRefusal(kind, msg string) *Refusal {
	return &Refusal{Kind: kind, Message: msg, Fields: payout.FieldErrors{payout.FieldAmount: {msg}}}
}

// destination applies the destination rules: a disabled wallet is never
// paid; a wallet inside its cooldown, or an address new for the client
// under NEW_ADDRESS_POLICY=approve, waits for a second admin (the returned
// reason); a new address under refuse is refused.
func (g *Gate) destination(p payout.Payout, f store.Facts) (string, *Refusal) {
	d := f.Destination
	if w := d.Wallet; w != nil {
		if w.DisabledAt != nil {
			return "", addressRefusal(RefusedWalletOff, "the address is client "+p.ClientID+"'s disabled wallet")
		}
	}
	// The memo picks the account behind a shared address (TON exchanges):
	// the wallet is this destination only with the same memo.
	if w := d.Wallet; w != nil && w.Memo == p.Memo {
		if !w.Usable(f.Now) {
			return fmt.Sprintf("client %s's wallet %s was added or changed at %s and is usable from %s (WALLET_CHANGE_COOLDOWN): a second admin approves this payout (approving the wallet releases later ones)",
				p.ClientID, payout.MaskAddress(p.Address), w.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC"),
				w.UsableFrom.UTC().Format("2006-01-02 15:04 UTC")), nil
		}
		return "", nil
	}
	if d.PaidBefore {
		return "", nil
	}
	msg := fmt.Sprintf("address %s is new for client %s: neither one of its wallets nor one it was paid to before",
		payout.MaskAddress(p.Address), p.ClientID)
	switch g.Policy.NewAddressPolicy {
	case NewAddressRefuse:
		return "", addressRefusal(RefusedNewAddress, msg+" (NEW_ADDRESS_POLICY=refuse)")
	case NewAddressApprove:
		return msg, nil
	}
	return "", nil
}

func addressRefusal(kind, msg string) *Refusal {
	return &Refusal{Kind: kind, Message: msg, Fields: payout.FieldErrors{payout.FieldAddress: {msg}}}
}

// approvalReasons are why a payout needs a second admin: its own amount,
// or its client's 24 h total in the asset with it, over the threshold.
func (g *Gate) approvalReasons(p payout.Payout, clientTotal decimal.Decimal) []string {
	limit, ok := g.Policy.ApprovalThresholds[p.Asset]
	if !ok {
		return nil
	}
	if p.Amount.GreaterThan(limit) {
		return []string{fmt.Sprintf("the amount %s %s is over the approval threshold of %s", Amount(p.Amount), p.Asset, Amount(limit))}
	}
	if total := clientTotal.Add(p.Amount); total.GreaterThan(limit) {
		return []string{fmt.Sprintf("client %s's 24 h total would be %s %s, over the approval threshold of %s",
			p.ClientID, Amount(total), p.Asset, Amount(limit))}
	}
	return nil
}

// denied refuses a payout to a listed address. The message names the
// address masked only: the denylist itself is not to be read back.
func (g *Gate) denied(address, from string) *Refusal {
	r := g.denyRefusal(address)
	if r != nil {
		metrics.GateRefused(from)
		metrics.GateRefusal(RefusedDenylist)
	}
	return r
}

func (g *Gate) denyRefusal(address string) *Refusal {
	if address == "" || !g.Policy.Denylist.Contains(address) {
		return nil
	}
	return addressRefusal(RefusedDenylist, "address "+payout.MaskAddress(address)+" is on the address denylist")
}

// newAddressRule says whether "paid to before" matters: only when new
// addresses are held or refused.
func (g *Gate) newAddressRule() bool {
	return g.Policy.NewAddressPolicy == NewAddressApprove || g.Policy.NewAddressPolicy == NewAddressRefuse
}

func has(m map[string]decimal.Decimal, asset string) bool {
	_, ok := m[asset]
	return ok
}

// Amount writes an amount with thousands separators, as people read
// limits: 1,250 or 1,250.5.
func Amount(d decimal.Decimal) string {
	s := d.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if dot {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// BatchRefusal refuses a campaign under a money control: its rows' errors
// (caps, destinations) and the campaign's own (the all-clients cap).
type BatchRefusal struct {
	Message string
	Fields  payout.FieldErrors
	Rows    map[int]payout.FieldErrors
}

func (r *BatchRefusal) Error() string { return r.Message }

// MakeBatch stores a campaign with its money controls decided in the same
// transaction: a row past a hard cap or to a refused destination refuses
// the whole campaign (every such row reported, nothing stored), and a
// campaign over an approval threshold (its total per asset, a client's 24 h
// total with its rows, or a row's destination) waits for one approval as a
// whole. A campaign that exists is returned as it is.
func (g *Gate) MakeBatch(ctx context.Context, b store.Batch, payouts []payout.Payout) (store.Batch, bool, error) {
	rows := map[int]payout.FieldErrors{}
	for i, p := range payouts {
		if r := g.denied(p.Address, FromBatch); r != nil {
			rows[i] = r.Fields
		}
	}
	if len(rows) > 0 {
		return store.Batch{}, false, &BatchRefusal{Message: fmt.Sprintf("%d rows pay a denied address", len(rows)), Rows: rows}
	}
	c := store.BatchCheck{
		ClientTotal: len(g.Policy.ClientDailyLimits) > 0 || len(g.Policy.ApprovalThresholds) > 0,
		AllTotal:    len(g.Policy.DailyOutflowLimits) > 0,
		Destination: true,
		PaidBefore:  g.newAddressRule(),
		Decide:      g.decideBatch,
	}
	return g.Payouts.CreateBatchChecked(ctx, b, payouts, c)
}

func (g *Gate) decideBatch(b store.Batch, payouts []payout.Payout, f store.BatchFacts) (store.Batch, []payout.Payout, error) {
	client := map[[2]string]decimal.Decimal{}
	perAsset := map[string]decimal.Decimal{}
	rows := map[int]payout.FieldErrors{}
	var holds []string
	for i, p := range payouts {
		key := [2]string{p.ClientID, p.Asset}
		before := f.Client[key].Add(client[key])
		if r := g.overCap(p, store.Outflow{Client: before}); r != nil && r.Kind == RefusedClientLimit {
			rows[i] = r.Fields
			metrics.GateRefusal(r.Kind)
			continue
		}
		facts := store.Facts{Now: f.Now}
		if f.Destinations != nil {
			facts.Destination = f.Destinations[i]
		}
		hold, r := g.destination(p, facts)
		if r != nil {
			rows[i] = r.Fields
			metrics.GateRefusal(r.Kind)
			continue
		}
		// Only rows the campaign would pay count toward the rows after.
		client[key] = client[key].Add(p.Amount)
		perAsset[p.Asset] = perAsset[p.Asset].Add(p.Amount)
		if hold != "" {
			holds = append(holds, fmt.Sprintf("row %d: %s", i, hold))
		}
		if reasons := g.approvalReasons(p, before); len(reasons) > 0 && !p.Amount.GreaterThan(g.Policy.ApprovalThresholds[p.Asset]) {
			holds = append(holds, fmt.Sprintf("row %d: %s", i, reasons[0]))
		}
	}
	refusal := &BatchRefusal{Rows: rows, Fields: payout.FieldErrors{}}
	for _, asset := range sortedAssets(perAsset) {
		total := perAsset[asset]
		if limit, ok := g.Policy.DailyOutflowLimits[asset]; ok && f.All[asset].Add(total).GreaterThan(limit) {
			msg := fmt.Sprintf("the 24 h %s total of all clients would be %s with this campaign, over the daily outflow limit of %s",
				asset, Amount(f.All[asset].Add(total)), Amount(limit))
			refusal.Fields["rows"] = append(refusal.Fields["rows"], msg)
			metrics.GateRefusal(RefusedOutflowLimit)
		}
		if limit, ok := g.Policy.ApprovalThresholds[asset]; ok && total.GreaterThan(limit) {
			holds = append([]string{fmt.Sprintf("the campaign's %s total %s is over the approval threshold of %s",
				asset, Amount(total), Amount(limit))}, holds...)
		}
	}
	if len(rows) > 0 || len(refusal.Fields) > 0 {
		metrics.GateRefused(FromBatch)
		refusal.Message = fmt.Sprintf("campaign refused by the money controls: %d rows", len(rows))
		if len(rows) == 0 {
			refusal.Message = "campaign refused by the money controls"
		}
		return store.Batch{}, nil, refusal
	}
	if len(holds) > 0 {
		b.State = store.BatchAwaitingApproval
		b.WaitingFor = &payout.Waiting{Kind: payout.WaitApproval, Reason: summarize(holds), Role: approverRole}
		for i := range payouts {
			// The campaign's one approval is its rows' approval.
			payouts[i].Status = payout.StatusRequested
		}
	}
	return b, payouts, nil
}

func sortedAssets(m map[string]decimal.Decimal) []string {
	out := make([]string, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// walletReader finds one wallet (the store); the gate asks it at send time.
type walletReader interface {
	GetWallet(ctx context.Context, k store.WalletAt) (store.Wallet, error)
}

// Recheck is the gate's last word before a payout's create goes to
// Heleket, whatever made it and however long it waited (approval, funds, a
// paused or held campaign): an address put on the denylist, or a wallet
// disabled, since it was made stops it here. The refusal says which.
func (g *Gate) Recheck(ctx context.Context, p payout.Payout) error {
	if r := g.denied(p.Address, FromRestart); r != nil {
		return r
	}
	wr, ok := g.Wallets.(walletReader)
	if !ok {
		return nil
	}
	w, err := wr.GetWallet(ctx, store.WalletAt{ClientID: p.ClientID, Asset: p.Asset, Network: p.Network, Address: p.Address})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gate: wallet of payout %s: %w", p.ID, err)
	}
	if w.DisabledAt != nil {
		metrics.GateRefusal(RefusedWalletOff)
		return addressRefusal(RefusedWalletOff, "the address is client "+p.ClientID+"'s wallet, disabled since the payout was made")
	}
	return nil
}

// heldRowsShown is how many reasons a campaign's hold spells out; a
// 100,000-row campaign of new addresses must not store a reason per row on
// every row.
const heldRowsShown = 5

func summarize(reasons []string) string {
	if len(reasons) <= heldRowsShown {
		return strings.Join(reasons, "; ")
	}
	return strings.Join(reasons[:heldRowsShown], "; ") + fmt.Sprintf("; and %d more", len(reasons)-heldRowsShown)
}
