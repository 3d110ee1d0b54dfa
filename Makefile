# make install [PREFIX=/usr/local] [DESTDIR=…]: the release binary, its shell completions and its man page.
# make uninstall removes them again. make man regenerates docs/man/tokenbudget.1 (scripts/make-man.sh).
PREFIX ?= /usr/local
BIN = .build/release/tokenbudget

.PHONY: build install uninstall man
build:
	swift build -c release --product tokenbudget

man:
	bash scripts/make-man.sh

install: build
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/bash-completion/completions" \
		"$(DESTDIR)$(PREFIX)/share/zsh/site-functions" "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d" \
		"$(DESTDIR)$(PREFIX)/share/man/man1"
	install -m 755 "$(BIN)" "$(DESTDIR)$(PREFIX)/bin/tokenbudget"
	install -m 644 docs/man/tokenbudget.1 "$(DESTDIR)$(PREFIX)/share/man/man1/tokenbudget.1"
	"$(BIN)" --generate-completion-script bash > "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tokenbudget"
	"$(BIN)" --generate-completion-script zsh > "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tokenbudget"
	"$(BIN)" --generate-completion-script fish > "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tokenbudget.fish"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/tokenbudget" "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tokenbudget" \
		"$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tokenbudget" "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tokenbudget.fish" \
		"$(DESTDIR)$(PREFIX)/share/man/man1/tokenbudget.1"
