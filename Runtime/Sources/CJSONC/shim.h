// Pulls json-c's public API into one module; pkg-config adds /usr/include/json-c.
#include <json.h>
