"""The floor for the service: a bare FastAPI hello, served by uvicorn like the service is."""

from __future__ import annotations

import sys

from fastapi import FastAPI

app = FastAPI()


@app.get("/v1/health")
def health() -> dict[str, str]:
    """The smallest JSON answer (a sync endpoint, as the service's are)."""
    return {"status": "ok"}


def main() -> None:
    """Serve on 127.0.0.1:<argv[1]> with the service's uvicorn settings (log level info)."""
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info")


if __name__ == "__main__":
    main()
