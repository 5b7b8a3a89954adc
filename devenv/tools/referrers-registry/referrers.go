package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
)

// go-containerregistry v0.22 answers the referrers API but reports every referrer's artifactType as
// its config media type and ignores the ?artifactType= filter. The OCI 1.1 distribution spec says
// artifactType is the manifest's artifactType field when set (oras and cosign bundles set it, with
// an empty config) and that a filtering registry says so in OCI-Filters-Applied. This wrapper
// rewrites the answer to follow the spec, reading each referrer manifest from the same registry.

var referrersPath = regexp.MustCompile(`^/v2/(.+)/referrers/(sha256:[a-f0-9]{64})$`)

type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []descriptor `json:"manifests"`
}

func withSpecReferrers(inner http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := referrersPath.FindStringSubmatch(r.URL.Path)
		if r.Method != http.MethodGet || m == nil {
			inner.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		var idx index
		if rec.Code == http.StatusNotFound {
			// The spec wants an empty index, not 404, for a subject nothing refers to yet.
			idx = index{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json"}
		} else if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &idx) != nil {
			copyResponse(w, rec)
			return
		}
		wanted := r.URL.Query().Get("artifactType")
		kept := []descriptor{}
		for _, d := range idx.Manifests {
			d.ArtifactType = artifactTypeOf(inner, m[1], d)
			if wanted == "" || d.ArtifactType == wanted {
				kept = append(kept, d)
			}
		}
		sort.Slice(kept, func(i, j int) bool { return kept[i].Digest < kept[j].Digest })
		idx.Manifests = kept
		body, _ := json.Marshal(idx)
		if wanted != "" {
			w.Header().Set("OCI-Filters-Applied", "artifactType")
		}
		w.Header().Set("Content-Type", idx.MediaType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}

func artifactTypeOf(inner http.Handler, repo string, d descriptor) string {
	req := httptest.NewRequest(http.MethodGet, "/v2/"+repo+"/manifests/"+d.Digest, nil)
	req.Header.Set("Accept", d.MediaType)
	rec := httptest.NewRecorder()
	inner.ServeHTTP(rec, req)
	var manifest struct {
		ArtifactType string `json:"artifactType"`
		Config       struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &manifest) != nil {
		return d.ArtifactType
	}
	if manifest.ArtifactType != "" {
		return manifest.ArtifactType
	}
	return manifest.Config.MediaType
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
