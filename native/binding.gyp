{
  "targets": [
    {
      "target_name": "diagkit",
      "sources": ["src/addon.cc", "src/fdops.cc", "src/receiver.cc", "src/poller.cc", "src/kmsg_drain.cc", "src/kmsg_read_ahead.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
