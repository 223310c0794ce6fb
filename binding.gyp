{
  "targets": [
    {
      "target_name": "capmin_native",
      "sources": ["native/capmin_native.cc", "native/bnn_engine.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I openblas 2>/dev/null | sed 's/-I//g' || true)",
        "/usr/include/x86_64-linux-gnu/openblas-pthread",
        "/usr/include/openblas"
      ],
      "libraries": [
        "<!@(pkg-config --libs openblas 2>/dev/null || echo -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
