"""Entry point of the compile worker process; the kernel's compiles run here, isolated from crashes."""

from streamlib._native import serve_compile_worker

if __name__ == "__main__":
    serve_compile_worker()
