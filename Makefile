# make install [PREFIX=/usr/local] [DESTDIR=…]: the release binary and its shell completions.
# make uninstall removes them again.
PREFIX ?= /usr/local
BIN = .build/release/tokenbudget

.PHONY: build install uninstall
build:
	swift build -c release --product tokenbudget

install: build
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/bash-completion/completions" \
		"$(DESTDIR)$(PREFIX)/share/zsh/site-functions" "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d"
	install -m 755 "$(BIN)" "$(DESTDIR)$(PREFIX)/bin/tokenbudget"
	"$(BIN)" --generate-completion-script bash > "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tokenbudget"
	"$(BIN)" --generate-completion-script zsh > "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tokenbudget"
	"$(BIN)" --generate-completion-script fish > "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tokenbudget.fish"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/tokenbudget" "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tokenbudget" \
		"$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tokenbudget" "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tokenbudget.fish"
