package store

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// scale is the number of fractional digits of the NUMERIC(36,18) columns.
const scale = 18

// numericParam renders d for a NUMERIC(36,18) column. Postgres would round
// extra fractional digits silently, so they are refused here to keep every
// stored amount exactly the one requested.
func numericParam(field string, d decimal.Decimal) (string, error) {
	if !d.Equal(d.Truncate(scale)) {
		return "", fmt.Errorf("store: %s has more than %d decimal places", field, scale)
	}
	return d.String(), nil
}

// nullNumericParam is numericParam for nullable columns; nil means NULL.
func nullNumericParam(field string, d decimal.NullDecimal) (*string, error) {
	if !d.Valid {
		return nil, nil
	}
	s, err := numericParam(field, d.Decimal)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Numerics are selected as text and parsed here: the decimal's own SQL
// scanner may receive float64 from drivers, which would lose digits.
func parseNumeric(field, s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("store: parse %s: %w", field, err)
	}
	return d, nil
}

func parseNullNumeric(field string, s *string) (decimal.NullDecimal, error) {
	if s == nil {
		return decimal.NullDecimal{}, nil
	}
	d, err := parseNumeric(field, *s)
	if err != nil {
		return decimal.NullDecimal{}, err
	}
	return decimal.NewNullDecimal(d), nil
}
