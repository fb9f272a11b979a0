from publisher.cli.main import app

app(prog_name="publisher")
