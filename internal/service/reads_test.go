package service

import "testing"

// The kubeconfig's exact text: ACK's layout, every certificate field
// present and empty, values quoted.
func TestPlaceholderKubeconfig(t *testing.T) {
	t.Parallel()
	got := placeholderKubeconfig("c1f", "https://c1f.sim.ackup.invalid:6443", "1234567890123456")
	want := `apiVersion: v1
clusters:
- cluster:
    server: "https://c1f.sim.ackup.invalid:6443"
    certificate-authority-data: ""
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: "1234567890123456"
  name: "1234567890123456-c1f"
current-context: "1234567890123456-c1f"
kind: Config
preferences: {}
users:
- name: "1234567890123456"
  user:
    client-certificate-data: ""
    client-key-data: ""
`
	if got != want {
		t.Errorf("kubeconfig\n%s\nwant\n%s", got, want)
	}
}

func TestDNSLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"c0123abc": "c0123abc", "C-ABC": "c-abc", "a/b c.d": "a-b-c-d"} {
		if got := dnsLabel(in); got != want {
			t.Errorf("dnsLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
