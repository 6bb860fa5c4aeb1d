package devstack

import "sort"

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quietSDKLogger drops the SDK's logs while the stack probes the frontend for readiness.
type quietSDKLogger struct{}

func (quietSDKLogger) Debug(string, ...interface{}) {}
func (quietSDKLogger) Info(string, ...interface{})  {}
func (quietSDKLogger) Warn(string, ...interface{})  {}
func (quietSDKLogger) Error(string, ...interface{}) {}
