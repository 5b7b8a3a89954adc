// compute: a WAGI function that does real work and answers in JSON.
//
// GET ?n=N returns the N-th prime (1 <= N <= 1000000); the request body, if any, is hashed with
// SHA-256. Invalid input gets a 400 with a JSON error that names the parameter.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
)

const maxN = 1_000_000

type result struct {
	N         int    `json:"n,omitempty"`
	Prime     int    `json:"prime,omitempty"`
	BodyBytes int    `json:"bodyBytes"`
	SHA256    string `json:"sha256"`
}

type failure struct {
	Error string `json:"error"`
}

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()

	status, payload := handle(os.Getenv("QUERY_STRING"), os.Stdin)
	fmt.Fprintf(out, "Content-Type: application/json\nStatus: %d\n\n", status)
	enc := json.NewEncoder(out)
	if err := enc.Encode(payload); err != nil {
		fmt.Fprintln(os.Stderr, "compute: encoding response:", err)
		os.Exit(1)
	}
}

func handle(rawQuery string, body io.Reader) (int, any) {
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 400, failure{Error: "query: " + err.Error()}
	}

	hash := sha256.New()
	size, err := io.Copy(hash, body)
	if err != nil {
		return 500, failure{Error: "reading body: " + err.Error()}
	}
	res := result{BodyBytes: int(size), SHA256: hex.EncodeToString(hash.Sum(nil))}

	if raw := query.Get("n"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxN {
			return 400, failure{Error: fmt.Sprintf("n: expected an integer from 1 to %d, got %q", maxN, raw)}
		}
		res.N = n
		res.Prime = nthPrime(n)
	}
	return 200, res
}

// nthPrime sieves up to the Rosser bound n(ln n + ln ln n), which is above the n-th prime for n >= 6.
func nthPrime(n int) int {
	limit := 15
	if n >= 6 {
		f := float64(n)
		limit = int(f*(math.Log(f)+math.Log(math.Log(f)))) + 1
	}
	composite := make([]bool, limit+1)
	count := 0
	for i := 2; i <= limit; i++ {
		if composite[i] {
			continue
		}
		count++
		if count == n {
			return i
		}
		for j := i * i; j <= limit; j += i {
			composite[j] = true
		}
	}
	panic("nthPrime: sieve bound too small")
}
