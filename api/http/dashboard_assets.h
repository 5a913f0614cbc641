// The dashboard's files, embedded in the binary at build time by cmake/embed_assets.cmake from
// api/http/dashboard/ (our ES modules) and the chart library's minified dist file (uPlot, from
// node_modules after `npm ci`).
#ifndef DVS_API_HTTP_DASHBOARD_ASSETS_H_
#define DVS_API_HTTP_DASHBOARD_ASSETS_H_

#include <cstddef>

namespace dvs {

struct DashboardAsset {
  const char* path;          // the URL path it is served at ("/", "/dashboard/app.js")
  const char* content_type;  // from the file's extension
  const unsigned char* data;
  size_t size;
  const char* etag;  // a strong ETag (quoted): the first 128 bits of the content's SHA-256
};

// Every asset; the array lives as long as the program. `*count` is set to its length.
const DashboardAsset* DashboardAssets(size_t* count);

}  // namespace dvs

#endif  // DVS_API_HTTP_DASHBOARD_ASSETS_H_
