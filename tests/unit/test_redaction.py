"""Token URLs in log lines (pure): only a token's first four characters survive, however it is written."""
import logging

from server.domain.redaction import RedactingFilter, redact

TOKEN = "lzgD3Bk6YDR4c5Kdmcg0QCMa8AUp-MDbucUum5sA14shbBMv"


def test_token_urls_keep_four_characters():
    assert redact(f'GET /key/{TOKEN}/formList?deviceID=x HTTP/1.1') == "GET /key/lzgD…/formList?deviceID=x HTTP/1.1"
    assert redact(f"/key/{TOKEN}") == "/key/lzgD…"
    assert redact(f'"https://a.cn/key/{TOKEN}/forms/v.xml"') == '"https://a.cn/key/lzgD…/forms/v.xml"'
    assert TOKEN[4:] not in redact(f"/key/%6C{TOKEN[1:]}/formList")  # percent-encoded: still a token
    assert redact("/formList /f/plaque-link") == "/formList /f/plaque-link"


def test_the_filter_rewrites_records_with_arguments():
    record = logging.LogRecord("server", logging.ERROR, __file__, 1, "Exception on /key/%s/formList [%s]",
                               (TOKEN, "GET"), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "Exception on /key/lzgD…/formList [GET]"
