package payout

import (
	"strings"

	"github.com/heleket-payouts/payouts/heleket"
)

// Mismatches lists the terms on which the payout Heleket returned differs
// from ours. Heleket answers a create with a known order_id by returning
// the payout it already holds, so a difference means the order_id names
// somebody else's payout (another installation on a shared merchant), never
// ours to record. A term Heleket left out cannot be confirmed, and counts.
func Mismatches(p Payout, hp heleket.Payout) []string {
	var out []string
	if !hp.Amount.Valid || !hp.Amount.Equal(p.Amount) {
		out = append(out, "amount")
	}
	if !strings.EqualFold(strings.TrimSpace(hp.Currency), p.Asset) {
		out = append(out, "currency")
	}
	if !strings.EqualFold(strings.TrimSpace(hp.Network), p.Network) {
		out = append(out, "network")
	}
	if !sameAddress(hp.Address, p.Address) {
		out = append(out, "address")
	}
	return out
}

// sameAddress compares exactly, except EVM addresses, whose hex case is a
// checksum (EIP-55) and not part of the address.
func sameAddress(theirs, ours string) bool {
	theirs = strings.TrimSpace(theirs)
	if strings.HasPrefix(ours, "0x") {
		return strings.EqualFold(theirs, ours)
	}
	return theirs == ours
}
