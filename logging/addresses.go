package logging

// MaskAddresses cuts every wallet address in free text to its ends, as
// log lines show them: for text that leaves the service by another way
// than a log (an alert).
func MaskAddresses(s string) string { return addressPattern.ReplaceAllStringFunc(s, maskAddress) }

// Masker returns the log handler's masking of free text (the given
// secrets, bearer tokens, wallet addresses) for text that leaves the
// service by another way than a log (trace spans).
func Masker(secrets []string) func(string) string {
	h := NewMaskingHandler(nil, secrets).(*maskingHandler)
	return h.maskString
}
