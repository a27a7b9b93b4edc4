package logging

// MaskAddresses cuts every wallet address in free text to its ends, as
// log lines show them: for text that leaves the service by another way
// than a log (an alert).
func MaskAddresses(s string) string { return addressPattern.ReplaceAllStringFunc(s, maskAddress) }
