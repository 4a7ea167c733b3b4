;;; notelint.el --- notelint language server for Eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: languages, tools
;; URL: https://github.com/notelint/notelint

;;; Commentary:

;; Registers `notelint server' with Eglot for `text-mode', `markdown-mode' and
;; `notelint-note-mode' (*.note files).  The settings below are sent as the
;; LSP initializationOptions and answer the server's workspace/configuration
;; request (section "notelint"); a setting left nil comes from the project's
;; notelint.toml / pyproject.toml, as on the command line.
;;
;;   (require 'notelint)
;;   (add-hook 'text-mode-hook #'eglot-ensure)   ; or M-x eglot in a note
;;
;; After changing a setting while the server runs: M-x notelint-send-settings.

;;; Code:

(require 'eglot)
(require 'cl-lib)

(defgroup notelint nil
  "Lint radiology and procedure notes with the notelint language server."
  :group 'tools
  :prefix "notelint-")

(defcustom notelint-command '("notelint" "server")
  "Program and arguments that start the notelint language server."
  :type '(repeat string))

(defcustom notelint-modes '(text-mode markdown-mode notelint-note-mode)
  "Major modes whose buffers Eglot lints with notelint.
Read when notelint.el is loaded."
  :type '(repeat symbol))

(defcustom notelint-profile nil
  "Coding profile: \"cpt\" or \"ash\"; nil for the project's."
  :type '(choice (const :tag "Project's" nil) (const "cpt") (const "ash")))

(defcustom notelint-select nil
  "Rule ids or prefixes to report (e.g. (\"NL1\" \"NL401\")); nil for the project's."
  :type '(repeat string))

(defcustom notelint-ignore nil
  "Rule ids or prefixes not to report (e.g. (\"NL7\")); nil for the project's."
  :type '(repeat string))

(defcustom notelint-severity nil
  "Severity per rule, e.g. ((\"NL202\" . \"hint\"))."
  :type '(alist :key-type (string :tag "Rule")
                :value-type (choice (const "error") (const "warning")
                                    (const "info") (const "hint"))))

(defcustom notelint-rules nil
  "Extra rule folders, relative to the project root."
  :type '(repeat directory))

(defcustom notelint-run nil
  "When to lint: \"onType\" or \"onSave\"; nil for the server's default (onType)."
  :type '(choice (const :tag "Default" nil) (const "onType") (const "onSave")))

(defcustom notelint-debounce-ms nil
  "Milliseconds to wait after typing before linting.
nil for the server's default (150)."
  :type '(choice (const :tag "Default" nil) natnum))

(defun notelint-settings ()
  "The server's settings (a plist for `json-serialize'), only those that are set."
  (let ((severity (make-hash-table :test #'equal))
        (settings nil))
    (dolist (pair notelint-severity)
      (puthash (car pair) (cdr pair) severity))
    (cl-flet ((add (key value) (when value (setq settings (append settings (list key value))))))
      (add :profile notelint-profile)
      (add :select (and notelint-select (vconcat notelint-select)))
      (add :ignore (and notelint-ignore (vconcat notelint-ignore)))
      (add :severity (and notelint-severity severity))
      (add :rules (and notelint-rules (vconcat notelint-rules)))
      (add :run notelint-run)
      (add :debounceMs notelint-debounce-ms))
    (or settings (make-hash-table))))

;;;###autoload
(define-derived-mode notelint-note-mode text-mode "Note"
  "Major mode for clinical notes in *.note files.")

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.note\\'" . notelint-note-mode))

(defclass notelint-eglot-server (eglot-lsp-server) ()
  :documentation "The notelint language server.")

(cl-defmethod eglot-initialization-options ((_server notelint-eglot-server))
  "Send the notelint settings as initializationOptions."
  (notelint-settings))

(cl-defmethod eglot-handle-request
  ((_server notelint-eglot-server) (_method (eql workspace/configuration)) &key items)
  "Answer the server's configuration request for ITEMS.
Section \"notelint\" gets `eglot-workspace-configuration' if that has such a
section (e.g. in .dir-locals.el), else `notelint-settings'."
  (let ((answers (cl-call-next-method)))
    (apply #'vector
           (cl-loop for answer across answers
                    for item across (if (vectorp items) items (vconcat items))
                    collect (if (and (null answer)
                                     (equal (plist-get item :section) "notelint"))
                                (notelint-settings)
                              answer)))))

(defun notelint-send-settings ()
  "Tell running notelint servers that the settings changed; they read them again."
  (interactive)
  (dolist (server (hash-table-values eglot--servers-by-project))
    (dolist (s server)
      (when (cl-typep s 'notelint-eglot-server)
        (jsonrpc-notify s :workspace/didChangeConfiguration
                        (list :settings (list :notelint (notelint-settings))))))))

(defun notelint--contact (_interactive)
  "The Eglot contact: the server class and `notelint-command'."
  (cons 'notelint-eglot-server notelint-command))

(add-to-list 'eglot-server-programs
             (cons (mapcar (lambda (mode)
                             (if (eq mode 'notelint-note-mode)
                                 '(notelint-note-mode :language-id "note")
                               mode))
                           notelint-modes)
                   #'notelint--contact))

(provide 'notelint)
;;; notelint.el ends here
