package upgrade

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)[:n]
}

// NewClusterID returns a cluster id in ACK's form: "c" and 32 hex digits.
func NewClusterID() string { return "c" + randHex(32) }

// NewNodePoolID returns a node pool id: "np" and 32 hex digits.
func NewNodePoolID() string { return "np" + randHex(32) }

// NewTaskID returns a task id: "T-" and 24 hex digits.
func NewTaskID() string { return "T-" + randHex(24) }

// NewInstanceID returns an ECS-style instance id.
func NewInstanceID() string { return "i-" + randHex(20) }

// NewCheckID returns a check id in ACK's form,
// "<unix nanos>-<cluster id without c>-clustercheck-<5 letters>".
func NewCheckID(clusterID string, now time.Time) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	suffix := []byte(randHex(5))
	for i, c := range suffix {
		suffix[i] = letters[int(c)%len(letters)]
	}
	return fmt.Sprintf("%d-%s-clustercheck-%s", now.UnixNano(), strings.TrimPrefix(clusterID, "c"), suffix)
}

// NewRequestID returns a request id in the gateway's form (a UUID, upper case).
func NewRequestID() string {
	h := strings.ToUpper(randHex(32))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NodeName returns ACK's node name for a node of region with address ip.
func NodeName(region, ip string) string { return region + "." + ip }

// NodeIP returns the private address of the k-th worker node (0-based) of a
// cluster, in creation order.
func NodeIP(k int) string {
	return fmt.Sprintf("192.168.%d.%d", k/200, 10+k%200)
}

// NodeOrdinal inverts NodeIP: the 1-based creation position of the node with
// address ip, or 0 if ip is not of NodeIP's form.
func NodeOrdinal(ip string) int {
	var a, b int
	if _, err := fmt.Sscanf(ip, "192.168.%d.%d", &a, &b); err != nil || b < 10 || b >= 210 {
		return 0
	}
	return a*200 + b - 10 + 1
}
