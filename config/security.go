package config

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
)

func (c Config) checkSecurity() error {
	if _, err := ParseIPPrefixes(c.WebhookAllowedIPs); err != nil {
		return fmt.Errorf("WEBHOOK_ALLOWED_IPS: %w", err)
	}
	if _, err := ParseIPPrefixes(c.TrustedProxies); err != nil {
		return fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	if c.WebhookRateLimit < 0 || math.IsNaN(c.WebhookRateLimit) || math.IsInf(c.WebhookRateLimit, 0) {
		return fmt.Errorf("WEBHOOK_RATE_LIMIT: must be a number of requests per second, 0 for no limit")
	}
	if c.WebhookRateLimit > 0 && c.WebhookRateBurst < 1 {
		return fmt.Errorf("WEBHOOK_RATE_BURST: must be at least 1 when WEBHOOK_RATE_LIMIT is set")
	}
	return nil
}

// WebhookSources returns WEBHOOK_ALLOWED_IPS; empty means any source.
func (c Config) WebhookSources() ([]netip.Prefix, error) {
	return ParseIPPrefixes(c.WebhookAllowedIPs)
}

// Proxies returns TRUSTED_PROXIES.
func (c Config) Proxies() ([]netip.Prefix, error) {
	return ParseIPPrefixes(c.TrustedProxies)
}

// ParseIPPrefixes reads a comma-separated list of IP addresses and CIDR
// prefixes ("31.133.220.8, 10.0.0.0/8, 2001:db8::/32"); an address stands
// for itself alone. A prefix with bits set beyond its length (10.1.2.3/8)
// is refused rather than widened: it is most likely a typo, and in an
// allow-list a typo must not grant more than was meant.
func ParseIPPrefixes(spec string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parsePrefix(entry)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(entry string) (netip.Prefix, error) {
	if !strings.Contains(entry, "/") {
		addr, err := netip.ParseAddr(entry)
		if err != nil || addr.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix", entry)
		}
		addr = addr.Unmap()
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	p, err := netip.ParsePrefix(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix", entry)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has address bits beyond its length; did you mean %s?", entry, p.Masked())
	}
	if p.Addr().Is4In6() {
		// Requests arrive with IPv4-mapped peers unmapped; so must the list.
		return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped IPv6 prefix; write the IPv4 prefix", entry)
	}
	return p, nil
}
